import Benchmark
import Foundation
import IOVSimKit

/// Issue 12's ratios. Idle VFs: the same traffic (vm1's VF 0 sending to the wire) with 1 VF and
/// with 256 VFs enabled on the 82599 (VFs 63-255 get no pool: configured and idle), measured
/// from 200,000 clocks after bring-up (the steady state; bring-up itself grows with the VFs it
/// enumerates). Tracing:
/// the shipped 82599 model's run with the full VCD and with no trace.
func idleAndTraceBenchmarks() {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let shipped = root.appendingPathComponent("Models/i82599.toml").path
    guard let text = try? String(contentsOfFile: shipped, encoding: .utf8),
          let generator = text.range(of: "[[generator]]"), let host = text.range(of: "# The host: 1 GiB"), let vms = text.range(of: "[[vm]]") else { return }
    let base = String(text[..<generator.lowerBound]) + String(text[host.lowerBound..<vms.lowerBound])
    for vfs in [1, 256] {
        let model = base.replacingOccurrences(of: "initial_vfs = 64", with: "initial_vfs = \(max(vfs, 64))")
            .replacingOccurrences(of: "total_vfs = 64", with: "total_vfs = \(max(vfs, 64))") + """

            [[platform.root_port]]
            name = "rp0"
            link = { latency = 4, bytes_per_clock = 8 }
            below = "nic0"

            [[platform.device]]
            name = "nic0"
            vfs = \(vfs)

            [[vm]]
            name = "vm1"
            functions = ["nic0.pf0.vf0"]

            [[traffic]]
            from = "nic0.pf0.vf0"
            to = "wire"
            frames = 100000
            load = 20

            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-idle-\(vfs).toml").path
        guard (try? model.write(toFile: path, atomically: true, encoding: .utf8)) != nil else { return }
        Benchmark("idle VFs: \(vfs) VF\(vfs == 1 ? "" : "s") enabled, one VF sending (throughput = clocks after bring-up)",
                  configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .mega, maxDuration: .seconds(5), maxIterations: 10)) { benchmark in
            guard let file = try? ModelLoader.load(path: path), let platform = try? Platform(model: file),
                  let start = try? platform.prepareModelTraffic() else { return }
            defer { platform.stopDrivers() }
            platform.bringUp()
            guard (try? start()) != nil else { return }
            platform.simulator.run(clocks: 200_000)   // past the drivers' set-up: the steady state
            benchmark.startMeasurement()
            platform.simulator.run(clocks: UInt64(benchmark.scaledIterations.count))
            benchmark.stopMeasurement()
        }
    }
    for trace in [false, true] {
        Benchmark("82599 model, 300,000 clocks, \(trace ? "full VCD" : "no trace")", configuration: .init(metrics: [.wallClock], maxDuration: .seconds(10), maxIterations: 5)) { benchmark in
            var options = Runner.Options()
            options.cycles = 300_000
            let vcd = FileManager.default.temporaryDirectory.appendingPathComponent("iovsim-bench.vcd").path
            if trace { options.vcd = vcd }
            defer { try? FileManager.default.removeItem(atPath: vcd) }
            for _ in benchmark.scaledIterations { blackHole(try? Runner.run(file: shipped, options: options)) }
        }
    }
}
