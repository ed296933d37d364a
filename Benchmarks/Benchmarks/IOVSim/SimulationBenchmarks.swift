import Benchmark
import Foundation
import IOVSimKit

/// Simulated clocks per second on a fixed workload (DESIGN.md §8): the 82599 model after
/// bring-up, its VMs' drivers and traffic running, no trace.
func simulationBenchmarks() {
    let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Models")
    let path = models.appendingPathComponent("i82599.toml").path

    Benchmark("82599 platform with its VMs' traffic, no trace (throughput = clocks)",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(3))) { benchmark in
        guard let model = try? ModelLoader.load(path: path), let platform = try? Platform(model: model),
              let start = try? platform.prepareModelTraffic() else { return }
        defer { platform.stopDrivers() }
        platform.bringUp()
        guard (try? start()) != nil else { return }
        benchmark.startMeasurement()
        platform.simulator.run(clocks: UInt64(benchmark.scaledIterations.count))
        benchmark.stopMeasurement()
    }
}
