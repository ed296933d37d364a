import Benchmark
import Foundation
import IOVSimKit

/// Simulated clocks per second on a fixed workload (DESIGN.md §8): the 82599 model after
/// bring-up, its VMs' VFs issuing DMA, no trace; and the same with the full VCD.
func simulationBenchmarks() {
    let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Models")
    let path = models.appendingPathComponent("i82599.toml").path

    Benchmark("82599 platform with DMA traffic, no trace (throughput = clocks)",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(3))) { benchmark in
        guard let model = try? ModelLoader.load(path: path), let platform = try? Platform(model: model) else { return }
        platform.bringUp()
        platform.traffic.start(state: platform.state())
        benchmark.startMeasurement()
        platform.simulator.run(clocks: UInt64(benchmark.scaledIterations.count))
        benchmark.stopMeasurement()
    }
}
