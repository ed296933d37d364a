import Foundation
import IOVSimKit
import RTL
import Testing

/// A VCD reader written here, independent of the writer: signal paths from the scopes, then
/// value changes by identifier code.
struct VCDFile {
    var paths: [String: [String]] = [:]          // code -> full dotted paths
    var changes: [String: [(time: UInt64, value: UInt64)]] = [:]  // full path -> changes
    var maxDepth = 0
    var date = ""

    init(_ text: String) {
        var scopes: [String] = []
        var time: UInt64 = 0
        var inHeader = true
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        while let raw = lines.next() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if inHeader {
                let words = line.split(separator: " ").map(String.init)
                switch words.first {
                case "$date": date = String(lines.next() ?? "")
                case "$scope":
                    scopes.append(words[2])
                    maxDepth = max(maxDepth, scopes.count)
                case "$upscope": scopes.removeLast()
                case "$var": paths[words[3], default: []].append((scopes + [words[4]]).joined(separator: "."))
                case "$enddefinitions": inHeader = false
                default: break
                }
                continue
            }
            if line.hasPrefix("#") {
                time = UInt64(line.dropFirst())!
            } else if line.hasPrefix("b") {
                let parts = line.dropFirst().split(separator: " ")
                record(String(parts[1]), time, UInt64(parts[0], radix: 2)!)
            } else if let first = line.first, first == "0" || first == "1" {
                record(String(line.dropFirst()), time, first == "1" ? 1 : 0)
            }
        }
    }

    mutating func record(_ code: String, _ time: UInt64, _ value: UInt64) {
        for path in paths[code] ?? [] { changes[path, default: []].append((time, value)) }
    }
}

@Suite("iovsim run", .serialized)
struct RunTests {
    static func temporary(_ ext: String) -> String { FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString).\(ext)").path }

    @Test("a 100,000-clock VCD of the 82599: vcd2fst reads it, scopes nest, changes match the simulator's own samples")
    func vcd() throws {
        let vcdPath = Self.temporary("vcd"), fstPath = Self.temporary("fst")
        defer { for p in [vcdPath, fstPath] { try? FileManager.default.removeItem(atPath: p) } }
        let chosen = ["top.nic0.pf0.cfg.numvfs", "top.nic0.pf0.cfg.sriov_control_.vf_enable", "top.rc.rp0.down.valid", "top.rc.forwarded"]
        var seen: [String: [(UInt64, UInt64)]] = [:]
        var options = Runner.Options()
        options.cycles = 100_000
        options.vcd = vcdPath
        options.clockObserver = { platform, clock in
            for probe in platform.simulator.probes.probes where chosen.contains(probe.path) {
                let value = probe.sample()
                if seen[probe.path]?.last?.1 != value { seen[probe.path, default: []].append((clock, value)) }
            }
        }
        let summary = try Runner.run(file: Repository.model("i82599.toml"), options: options)
        #expect(summary.clocks == 100_000)
        #expect(summary.dmaRequests > 1_000)

        let vcd2fst = try #require(["/usr/bin/vcd2fst", "/usr/local/bin/vcd2fst"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                   "vcd2fst (gtkwave) is not installed; `make test` installs it")
        let converted = try runProgram(vcd2fst, [vcdPath, fstPath])
        #expect(converted.status == 0, "\(converted.stderr)")
        #expect(((try? FileManager.default.attributesOfItem(atPath: fstPath)[.size] as? Int) ?? 0) > 1000)

        let file = VCDFile(try String(contentsOfFile: vcdPath, encoding: .utf8))
        #expect(file.maxDepth >= 3)
        let period: UInt64 = 4000   // 250 MHz in ps
        for name in chosen {
            let fromVCD = try #require(file.changes[name], "\(name) missing from the VCD").map { ($0.time / period, $0.value) }
            let fromSim = try #require(seen[name])
            #expect(fromVCD.count == fromSim.count, "\(name): \(fromVCD.count) changes in the VCD, \(fromSim.count) sampled")
            #expect(zip(fromVCD, fromSim).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }, "\(name) changes differ")
        }
        // The bring-up is visible: NumVFs walks down from TotalVFs (Linux compute_max_vf_buses),
        // returns to 0, then SR-PCIM sets 64 and VF Enable rises.
        let numVFs = file.changes["top.nic0.pf0.cfg.numvfs"]!.map(\.value)
        #expect(numVFs.first == 0 && numVFs.last == 64 && numVFs.contains(1) && numVFs.count > 60)
        #expect(file.changes["top.nic0.pf0.cfg.sriov_control_.vf_enable"]!.map(\.value) == [0, 1])
    }

    @Test("a trace that skips the quiet clocks (no observer) is byte for byte the one written stepping every clock", arguments: ["i82576.toml", "i82599.toml"])
    func quietStretches(model: String) throws {
        func vcd(observed: Bool) throws -> String {
            let path = Self.temporary("vcd")
            defer { try? FileManager.default.removeItem(atPath: path) }
            var options = Runner.Options()
            options.cycles = 60_000
            options.vcd = path
            var observedClocks = 0
            if observed { options.clockObserver = { _, _ in observedClocks += 1 } }
            _ = try Runner.run(file: Repository.model(model), options: options)
            if observed { #expect(observedClocks >= 60_000, "an observer sees every clock") }
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            return (lines[0...0] + lines[2...]).joined(separator: "\n")
        }
        let skipping = try vcd(observed: false), stepped = try vcd(observed: true)
        #expect(skipping == stepped)
        // The comparison covers quiet stretches: clocks whose only change is the clock's edges
        // (`1!` straight after the time, then the falling edge's time).
        let lines = skipping.split(separator: "\n")
        let quietClocks = lines.indices.dropLast(2).filter { lines[$0].hasPrefix("#") && lines[$0 + 1] == "1!" && lines[$0 + 2].hasPrefix("#") }.count
        #expect(quietClocks > 10_000, "\(quietClocks) quiet clocks")
    }

    @Test("same model and seed: byte-identical VCD and TLP log apart from $date; another seed differs")
    func determinism() throws {
        func run(seed: UInt64) throws -> (vcd: String, log: String) {
            let vcd = Self.temporary("vcd"), log = Self.temporary("log")
            defer { for p in [vcd, log] { try? FileManager.default.removeItem(atPath: p) } }
            var options = Runner.Options()
            options.cycles = 20_000
            options.seed = seed
            options.vcd = vcd
            options.tlpLog = log
            _ = try Runner.run(file: Repository.model("i82576.toml"), options: options)
            let text = try String(contentsOfFile: vcd, encoding: .utf8)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines[0] == "$date")
            return ((lines[0...0] + lines[2...]).joined(separator: "\n"), try String(contentsOfFile: log, encoding: .utf8))
        }
        let a = try run(seed: 7), b = try run(seed: 7), c = try run(seed: 8)
        #expect(a.vcd == b.vcd)
        #expect(a.log == b.log)
        #expect(a.vcd != c.vcd)
        #expect(a.log != c.log)
        #expect(a.log.split(separator: "\n").count > 1_000)
    }

    @Test("--cycles shorter than bring-up: the run goes on to the end of bring-up and the summary says so; longer: no note")
    func shortRun() throws {
        let short = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--cycles", "1000", "--quiet"])
        #expect(short.status == 0, "\(short.stderr)")
        let bringUp = try #require(short.stdout.firstMatch(of: /bring-up: \d+ config and MMIO requests, (\d+) clocks/)).1
        #expect(short.stdout.contains("note: --cycles 1000 ends before bring-up and the drivers' set-up do (\(bringUp) clocks); the run went on to clock \(bringUp)\n"),
                "\(short.stdout)")
        let long = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--cycles", "20000", "--quiet"])
        #expect(long.status == 0 && long.stdout.contains("model i82576: 20000 clocks") && !long.stdout.contains("note: --cycles"), "\(long.stdout)")
    }

    @Test("the command line: summary, --signals, --from/--to, --tlp-log")
    func commandLine() throws {
        let vcd = Self.temporary("vcd"), log = Self.temporary("log")
        defer { for p in [vcd, log] { try? FileManager.default.removeItem(atPath: p) } }
        let r = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--cycles", "8000", "--vcd", vcd, "--signals", "top.rc.*",
                                      "--from", "1000", "--to", "5000", "--tlp-log", log, "--quiet"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("model i82576: 8000 clocks = 32.000 us simulated"))
        #expect(r.stdout.contains("TLP hops by type: "))
        let file = VCDFile(try String(contentsOfFile: vcd, encoding: .utf8))
        #expect(!file.changes.isEmpty)
        #expect(file.changes.keys.allSatisfy { $0.hasPrefix("top.rc.") })
        #expect(file.changes.values.joined().allSatisfy { $0.time >= 1000 * 4000 && $0.time <= 5000 * 4000 })
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        #expect(lines.first?.hasPrefix("# clock") == true)
        #expect(lines.contains { $0.contains(" rc cpu->rp0 CfgRd0 req=00:00.0 id=01:00.0 reg=0x0 ") })
        let bad = try IOVSimBinary.run(["run", Repository.model("i82576.toml"), "--from", "10", "--to", "5"])
        #expect(bad.status != 0 && bad.stderr.contains("--to"))
    }
}
