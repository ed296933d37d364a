import Foundation
import IOVSimKit
import PCIe
import Proofs
import RTL
import SMT
import Testing

/// 10,000 seeded mutations of the shipped models (keys deleted, renamed, duplicated; values of
/// the wrong type, negative, huge, zero; random text) through the code paths of `lspci`,
/// `topology`, `prove` and `run`, in-process. Any crash ends the test process; every failure
/// must be an error with a documented status and a message that names the file, and the key
/// where there is one.
@Suite("Model-file fuzz", .serialized)
struct ModelFuzzTests {
    static let models = ["i82599.toml", "i82576.toml", "sriov-512vf.toml"]

    /// One mutation of one line of `lines`.
    static func mutate(_ lines: [String], _ rng: inout DeterministicRNG) -> [String] {
        var lines = lines
        let candidates = lines.indices.filter { !lines[$0].hasPrefix("#") && !lines[$0].isEmpty }
        let i = candidates[Int(rng.next() % UInt64(candidates.count))]
        let line = lines[i]
        func pick<T>(_ options: [T]) -> T { options[Int(rng.next() % UInt64(options.count))] }
        // The spans of values: after '=' up to ',' or '}' or the end.
        let values = line.ranges(of: /=\s*[^,}\]]+/).map { range -> Range<String.Index> in
            let start = line[range].firstIndex { $0 != "=" && $0 != " " } ?? range.upperBound
            return start..<range.upperBound
        }
        switch rng.next() % 9 {
        case 0:
            lines.remove(at: i)
        case 1:
            lines.insert(line, at: i)
        case 2:   // rename a key: one character in, out or changed
            guard let eq = line.firstIndex(of: "="), eq > line.startIndex else { break }
            var key = Array(line[..<eq])
            let k = Int(rng.next() % UInt64(key.count))
            switch rng.next() % 3 {
            case 0: key.remove(at: k)
            case 1: key.insert(pick(Array("abcdefghijklmnopqrstuvwxyz_")), at: k)
            default: key[k] = pick(Array("abcdefghijklmnopqrstuvwxyz_"))
            }
            lines[i] = String(key) + line[eq...]
        case 3...7:
            guard let span = values.isEmpty ? nil : pick(values) else { break }
            let replacement = pick([
                "-1", "-\(rng.next() % 100_000)", "0", "0x0", "1", "0xffffffffffffffff", "9223372036854775807", "18446744073709551616",
                "0x7fffffffffffffff", "65535", "65536", "4096", "\(rng.next() % 0x1_0000)", "0x\(String(rng.next() % 0x1_0000_0000, radix: 16))",
                "\"x\"", "\"\"", "true", "false", "1.5", "[]", "[1, 2]", "{ a = 1 }", "\"mem64\"", "\"io\"", "\"nic0.pf0.vf99999\"",
                "\(rng.next() % 8)", "0x\(String(rng.next() % 0x1000, radix: 16))",
            ])
            lines[i] = String(line[..<span.lowerBound]) + replacement + String(line[span.upperBound...])
        default:  // random text somewhere in the line
            let bytes = (0..<(1 + rng.next() % 6)).map { _ in Character(UnicodeScalar(UInt8(32 + rng.next() % 95))) }
            let at = line.index(line.startIndex, offsetBy: Int(rng.next() % UInt64(line.count + 1)))
            lines[i] = String(line[..<at]) + String(bytes) + String(line[at...])
        }
        return lines
    }

    /// The statuses a failure may have here.
    static func checkError(_ error: any Error, file: String, context: String) {
        guard let status = error as? any StatusError else {
            Issue.record("\(context): an error with no documented status: \(error)")
            return
        }
        #expect([ToolStatus.modelError, .vacuous].contains(status.status), "\(context): status \(status.status) for \(status)")
        #expect(status.description.hasPrefix(file), "\(context): the message does not name the file: \(status)")
        if let model = error as? ModelError {
            #expect(!model.message.isEmpty, "\(context)")
            let known = ["name", "description", "device", "platform", "vm", "generator", "host", "traffic", "prove"]
            if !model.keyPath.isEmpty, let root = model.keyPath.split(whereSeparator: { $0 == "." || $0 == "[" }).first {
                // A misspelt top-level key is named as such; every other key lies under one of the schema's.
                #expect(known.contains(String(root)) || model.message.hasPrefix("unknown key"), "\(context): key \(model.keyPath)")
            }
        }
    }

    @Test("10,000 mutations of the shipped models: no crash, every failure a documented status naming the file")
    func fuzz() throws {
        var rng = DeterministicRNG(seed: 0xF022)
        let texts = try Self.models.map { try String(contentsOfFile: Repository.model($0), encoding: .utf8).components(separatedBy: "\n") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-\(UUID().uuidString).toml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var loaded = 0, broughtUp = 0, proved = 0, ran = 0, rejected = 0
        for n in 0..<10_000 {
            let which = Int(rng.next() % UInt64(texts.count))
            var lines = texts[which]
            for _ in 0..<(1 + rng.next() % 3) { lines = Self.mutate(lines, &rng) }
            let text = lines.joined(separator: "\n")
            let context = "mutation \(n) of \(Self.models[which])"
            let model: ModelFile
            do {
                model = try ModelLoader.parse(text, file: path)
            } catch {
                rejected += 1
                Self.checkError(error, file: path, context: context)
                continue
            }
            loaded += 1
            // The big model's bring-up takes 80,000 clocks: only some of its mutations go on.
            guard which != 2 || n % 10 == 0 else { continue }
            do {
                // lspci and topology: bring-up, the state, both views.
                let platform = try Platform(model: model)
                platform.bringUp()
                _ = platform.shortfalls()
                let state = platform.state()
                _ = TopologyReport.render(state)
                _ = LspciView(platform: platform).listing(dumpBytes: 64, verbosity: 1)
                broughtUp += 1
                // prove and run on the small models, some of the time.
                guard which != 2, n % 8 == 0 else { continue }
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                do {
                    let report = try ProveReport.run(file: path, limits: SolverLimits(timeout: .seconds(30), rlimit: 2_000_000))
                    #expect([0, 1, 2].contains(report.exitCode), "\(context)")
                    proved += 1
                } catch {
                    Self.checkError(error, file: path, context: context)
                }
                var options = Runner.Options()
                options.cycles = 300
                _ = try Runner.run(file: path, options: options)
                ran += 1
            } catch {
                Self.checkError(error, file: path, context: context)
            }
        }
        // Both sides were exercised: many mutations rejected, many still valid models run.
        #expect(rejected > 3_000, "rejected \(rejected)")
        #expect(loaded > 800, "loaded \(loaded)")
        #expect(broughtUp > 500 && proved > 50 && ran > 50, "brought up \(broughtUp), proved \(proved), ran \(ran)")
    }
}
