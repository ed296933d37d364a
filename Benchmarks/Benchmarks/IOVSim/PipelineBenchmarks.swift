import Benchmark
import Foundation
import IOVSimKit

/// Issue 12's whole-pipeline figure: Models/scale/i82599-64vf-forward.toml, 63 VFs over 4 VMs,
/// each VM reflecting what it receives (macswap), the wire offering 64-byte frames at line rate.
/// A frame counts once it is back on the wire: in from the wire, sorted, written into guest
/// memory through the IOMMU, taken by the VF driver (interrupts moderated by EITR), posted on its
/// Tx ring, read back by DMA and sent. Measured from 200,000 clocks after bring-up (rings and
/// IOTLB warm). Throughput counts frames (in thousands); `frames/s` is the same figure from the
/// frames actually completed (the loop stops on a 64-clock boundary).
func pipelineBenchmarks() {
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Models/scale/i82599-64vf-forward.toml").path
    let framesPerSecond = BenchmarkMetric.custom("frames/s, wire to guest to wire", polarity: .prefersLarger, useScalingFactor: false)
    Benchmark("whole pipeline: 63 VFs reflecting 64-byte frames at line rate (throughput = frames back on the wire)",
              configuration: .init(metrics: [.wallClock, .throughput, framesPerSecond], scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 20)) { benchmark in
        guard let model = try? ModelLoader.load(path: path), let platform = try? Platform(model: model),
              let start = try? platform.prepareModelTraffic() else { return }
        defer { platform.stopDrivers() }
        platform.bringUp()
        guard (try? start()) != nil else { return }
        platform.simulator.run(clocks: 200_000)
        let ports = platform.nics.values.flatMap(\.ports)
        func sent() -> UInt64 { ports.reduce(0) { $0 + $1.transmitter.toWireFrames } }
        let first = sent(), target = first + UInt64(benchmark.scaledIterations.count)
        let clock = ContinuousClock(), began = clock.now
        benchmark.startMeasurement()
        while sent() < target { platform.simulator.run(clocks: 64) }
        benchmark.stopMeasurement()
        let seconds = (clock.now - began) / .seconds(1)
        benchmark.measurement(framesPerSecond, Int(Double(sent() - first) / seconds))
    }
}
