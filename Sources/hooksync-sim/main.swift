print("hooksync-sim: not yet")
