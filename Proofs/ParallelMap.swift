import Foundation

/// Independent proofs on up to `jobs` threads (`iovsim prove --jobs`), results in the items'
/// order whatever order they finish in: each query has its own Z3 context, and every input is
/// a plain value, so the output is the same for any number of jobs.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], jobs: Int, _ body: @Sendable (T) throws -> R) throws -> [R] {
    guard jobs > 1, items.count > 1 else { return try items.map(body) }
    let slots = Slots<R>(count: items.count)
    DispatchQueue.concurrentPerform(iterations: min(jobs, items.count)) { _ in
        while let k = slots.take() { slots.put(k, Result { try body(items[k]) }) }
    }
    if let error = slots.error { throw error }
    return slots.results.map { $0! }
}

/// The results of `parallelMap` being filled in, and the next item to take, under a lock.
final class Slots<R>: @unchecked Sendable {
    let lock = NSLock()
    var results: [R?]
    var error: (any Error)?
    var next = 0
    init(count: Int) { results = Array(repeating: nil, count: count) }
    /// The next item to take, or nil when all are taken or one failed.
    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard error == nil, next < results.count else { return nil }
        next += 1
        return next - 1
    }
    func put(_ k: Int, _ result: Result<R, any Error>) {
        lock.lock()
        defer { lock.unlock() }
        switch result {
        case .success(let r): results[k] = r
        case .failure(let e): error = error ?? e
        }
    }
}
