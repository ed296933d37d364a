/// Runs the host CPU's programs (drivers) inside the clock: a task executor whose jobs wait in
/// a queue until the CPU's `tick` runs them, one after another on the simulator's thread. A
/// program suspends at every MMIO load, delay or interrupt wait, and the CPU resumes it when
/// the completion, the clock or the interrupt comes; so a driver reads as straight-line code
/// (as Linux's do) and still advances clock by clock, deterministically (DESIGN.md §3).
public final class ProgramExecutor: TaskExecutor, @unchecked Sendable {
    var ready: [UnownedJob] = []

    public init() {}

    public func enqueue(_ job: consuming ExecutorJob) { ready.append(UnownedJob(job)) }

    /// Runs every ready job, and the jobs they make ready, until all are suspended.
    public func runReady() {
        while !ready.isEmpty {
            let job = ready.removeFirst()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    public var hasReadyJobs: Bool { !ready.isEmpty }
}

/// A value handed to a program's task without a Sendable check: everything a program touches
/// runs on the simulator's thread (`ProgramExecutor`).
struct Unchecked<Value>: @unchecked Sendable {
    let value: Value
}
