import HookSyncProviders
import Testing

@Suite struct EventLoopTaskExecutorTests {
    @Test func aTaskThatPrefersTheExecutorRunsOnItsLoopAcrossSuspensions() async throws {
        let executor = EventLoopTaskExecutor()
        #expect(EventLoopTaskExecutor.currentEventLoop == nil)
        let onLoop = try await withTaskExecutorPreference(executor) {
            var seen = [EventLoopTaskExecutor.currentEventLoop === executor.eventLoop]
            try await Task.sleep(for: .milliseconds(2))
            seen.append(EventLoopTaskExecutor.currentEventLoop === executor.eventLoop)
            await Task.yield()
            seen.append(EventLoopTaskExecutor.currentEventLoop === executor.eventLoop)
            return seen
        }
        #expect(onLoop == [true, true, true])
        #expect(EventLoopTaskExecutor.currentEventLoop == nil)
    }
}
