import Benchmark
import Foundation
import IOVSimKit

/// Issue 12's whole-pipeline figure: Models/scale/i82599-64vf-forward.toml, 63 VFs over 4 VMs,
/// each VM reflecting what it receives (macswap), the wire offering 64-byte frames at line rate.
/// A frame counts once it is back on the wire: in from the wire, sorted, written into guest
/// memory through the IOMMU, taken by the VF driver (interrupts moderated by EITR), posted on its
/// Tx ring, read back by DMA and sent. Each sample: a fresh platform, 200,000 clocks after
/// bring-up (rings and IOTLB warm), then 400,000 clocks (1.6 ms, about 23,000 frames) measured;
/// `frames/s` is the frames back on the wire in that window over its wall time.
func pipelineBenchmarks() {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Models/scale/i82599-64vf-forward.toml").path
    let framesPerSecond = BenchmarkMetric.custom("frames/s, wire to guest to wire", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark("whole pipeline: 63 VFs reflecting 64-byte frames at line rate",
              configuration: .init(metrics: [.wallClock, framesPerSecond], maxDuration: .seconds(20), maxIterations: 8)) { benchmark in
        guard let model = try? ModelLoader.load(path: path), let platform = try? Platform(model: model),
              let start = try? platform.prepareModelTraffic() else { return }
        defer { platform.stopDrivers() }
        platform.bringUp()
        guard (try? start()) != nil else { return }
        platform.simulator.run(clocks: 200_000)
        let ports = platform.nics.values.flatMap(\.ports)
        func sent() -> UInt64 { ports.reduce(0) { $0 + $1.transmitter.toWireFrames } }
        let first = sent()
        let clock = ContinuousClock(), began = clock.now
        benchmark.startMeasurement()
        platform.simulator.run(clocks: 400_000)
        benchmark.stopMeasurement()
        let seconds = (clock.now - began) / .seconds(1)
        benchmark.measurement(framesPerSecond, Int(Double(sent() - first) / seconds))
    }
}
