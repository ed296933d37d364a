import Benchmark
import Foundation
import RTL
import Trace

/// VCD write speed, unrestricted: 100 signals of mixed widths, every one changing every clock,
/// to a file. Throughput is in clocks; each clock writes `vcdBytesPerClock` bytes, so MB/s =
/// throughput x bytes per clock.
let vcdProbeCount = 100
nonisolated(unsafe) var vcdCounter: UInt64 = 0

func vcdBenchmarks() {
    let probes = (0..<vcdProbeCount).map { k in
        Probe(path: "top.block\(k / 10).signal\(k)", width: [1, 8, 16, 32, 64][k % 5]) { vcdCounter &+ UInt64(k) }
    }
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-bench.vcd").path
    // Bytes per clock, measured once so the report can state MB/s.
    if let writer = try? VCDWriter(path: path, probes: probes, clockHz: 250_000_000, options: .init(date: "bench")) {
        for clock in 0..<1000 { vcdCounter = UInt64(clock) &* 0x9E37_79B9; writer.sample(clock: UInt64(clock)) }
        try? writer.close()
        let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        print("VCD bytes per clock (100 signals all changing): \(bytes / 1000)")
    }
    Benchmark("VCD write, 100 signals changing every clock (throughput = clocks)",
              configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .kilo, maxDuration: .seconds(3))) { benchmark in
        guard let writer = try? VCDWriter(path: path, probes: probes, clockHz: 250_000_000, options: .init(date: "bench")) else { return }
        var clock: UInt64 = 0
        for _ in benchmark.scaledIterations {
            vcdCounter &+= 0x9E37_79B9
            writer.sample(clock: clock)
            clock += 1
        }
        try? writer.close()
    }
}
