import Foundation
import Testing

/// The README's sample output is what the commands it names print (times aside).
@Suite("README sample output", .serialized)
struct ReadmeTests {
    /// The fenced block that follows the first line containing `marker`.
    static func block(after marker: String, in readme: String) throws -> [String] {
        let start = try #require(readme.range(of: marker), "README has no '\(marker)'")
        let open = try #require(readme.range(of: "```\n", range: start.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "\n```", range: open.upperBound..<readme.endIndex))
        return readme[open.upperBound..<close.lowerBound].split(separator: "\n").map(String.init)
    }

    /// Times are the one thing allowed to differ.
    static func timeless(_ line: String) -> String {
        line.replacing(/\d+\.\d+ ms/, with: "T ms").replacing(/; \d+\.\d+ s$/, with: "; T s")
    }

    @Test("the prove table and the replay log in the README are produced by the commands it shows")
    func sample() throws {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let table = try Self.block(after: "`iovsim prove Models/broken/acs-redirect-off.toml` (exit status 1", in: readme)
        #expect(table.count >= 10)
        let model = Repository.root.appendingPathComponent("Models/broken/acs-redirect-off.toml").path
        let prove = try IOVSimBinary.run(["prove", model])
        #expect(prove.status == 1)
        // Every README line appears in the output, in order (the README leaves proved rows out).
        let output = prove.stdout.split(separator: "\n").map { Self.timeless(String($0).replacingOccurrences(of: model, with: "Models/broken/acs-redirect-off.toml")) }
        var at = 0
        for line in table.map(Self.timeless) {
            guard let found = output[at...].firstIndex(of: line) else {
                Issue.record("README line not in the output (or out of order): \(line)")
                continue
            }
            at = found + 1
        }

        let log = try Self.block(after: "and the replay's log", in: readme)
        let replay = try #require(readme.range(of: #"`iovsim run Models/broken/acs-redirect-off.toml --write (\S+) --tlp-log replay.log`"#, options: .regularExpression))
        let write = String(readme[replay].split(separator: " ")[4])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try IOVSimBinary.run(["run", model, "--write", write, "--tlp-log", path, "--quiet"])
        #expect(run.status == 0, "\(run.stderr)")
        let lines = Set(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init))
        #expect(log.count == 2)
        for line in log { #expect(lines.contains(line), "README log line not in the replay's log: \(line)") }
    }

    @Test("the throughput tables in the README are what --sweep-frame-sizes prints", arguments: ["i82599", "i82576"])
    func throughput(model: String) throws {
        let readme = try String(contentsOf: Repository.root.appendingPathComponent("README.md"), encoding: .utf8)
        let table = try Self.block(after: "`iovsim run Models/\(model).toml --sweep-frame-sizes`", in: readme)
        #expect(table.count >= 9)
        let run = try IOVSimBinary.run(["run", Repository.model("\(model).toml"), "--sweep-frame-sizes"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.split(separator: "\n").map(String.init) == table)
    }
}
