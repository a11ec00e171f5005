import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the holder named by an owner string (`host:pid`, as the worker and reconcile name
/// themselves) is a process of this host that no longer exists.
public enum LocalProcess {
    /// True only when that is certain: the host is this one and the kernel has no such process. Any
    /// other owner (another host, a name in another form, a live process, one this process may not
    /// signal) is not known to be gone, and waits for the lock timeout as before. A holder in another
    /// PID namespace under the same host name would be taken for gone; it then loses the pass at its
    /// next page record and stops, as a holder taken over after the timeout does.
    public static func isGone(owner: String) -> Bool {
        guard let colon = owner.lastIndex(of: ":"), owner[..<colon] == ProcessInfo.processInfo.hostName,
              let pid = Int32(owner[owner.index(after: colon)...]), pid > 0, pid != getpid()
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
