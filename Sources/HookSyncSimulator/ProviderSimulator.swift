// The simulator lands here.
