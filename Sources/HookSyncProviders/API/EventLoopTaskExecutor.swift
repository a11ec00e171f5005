public import NIOCore
import NIOPosix

/// Runs tasks on one of the event loops that the providers' HTTP clients share.
///
/// A reconciliation pass's listing is a chain: each page's request waits for the page before it. Run
/// on Swift's global executor, every page crossed threads twice on our side (the answer, read on an
/// event loop, resumed the pass on a pool thread, which handed the next request back to an event
/// loop), and on two busy cores each crossing waited for a thread to be scheduled.
/// With this executor as the listing's preference, and `AsyncHTTPTransport` keeping the connection on
/// the caller's loop, the answer is read, parsed and followed by the next request on one thread.
/// (docs/decisions.md#the-listing-runs-on-one-event-loop)
///
/// What runs here holds the loop's other connections up while it runs: give it work like a listing's
/// (short steps between requests), never a blocking call.
public final class EventLoopTaskExecutor: TaskExecutor, Sendable {
    public let eventLoop: any EventLoop

    /// On `eventLoop`, or by default on the next of the loops that the HTTP clients share.
    public init(eventLoop: (any EventLoop)? = nil) {
        self.eventLoop = eventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// The event loop the calling code runs on, if it runs on one.
    public static var currentEventLoop: (any EventLoop)? { MultiThreadedEventLoopGroup.currentEventLoop }
}
