import Benchmark
import Foundation
import IOVSimKit
import SMT

/// `iovsim prove` on the 1,024-VF platform (Models/scale/sriov-1024vf.toml): every property,
/// bring-up included, with one job and with every core (the bar: at least 1.6x faster
/// with two).
func proofBenchmarks() {
    let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Models/scale/sriov-1024vf.toml").path
    for jobs in [1, ProcessInfo.processInfo.activeProcessorCount] {
        Benchmark("prove 1024-VF platform, --jobs \(jobs)", configuration: .init(metrics: [.wallClock], maxDuration: .seconds(30), maxIterations: 3)) { benchmark in
            for _ in benchmark.scaledIterations {
                let report = try? ProveReport.run(file: model, limits: SolverLimits(recordQueries: false), jobs: jobs)
                blackHole(report?.results.count)
            }
        }
    }
}
