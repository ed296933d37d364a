import Foundation
import NIC
import RTL
import Testing
import Trace

/// Runs a program, returning its exit status and standard output.
func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func tool(_ name: String) throws -> String {
    try #require(["/usr/bin/\(name)", "/usr/sbin/\(name)", "/usr/local/bin/\(name)"].first { FileManager.default.isExecutableFile(atPath: $0) },
                 "\(name) is not installed (make deps installs it)")
}

func temporary(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("\(UUID().uuidString)-\(name)").path
}

/// pcap files in and out: the classic format read and written, checked against text2pcap and
/// tcpdump, and frames from a pcap sorted into per-pool pcaps through a MAC port.
@Suite("pcap", .serialized)
struct PcapPathTests {
    @Test("records round-trip; malformed files are errors naming the file and the field")
    func format() throws {
        let records = [Pcap.Record(nanoseconds: 1_500_000_123, bytes: [1, 2, 3, 4]), Pcap.Record(nanoseconds: 2_000_000_000, bytes: Array(repeating: 7, count: 60))]
        #expect(try Pcap.parse(Pcap.encode(records), file: "x.pcap") == records)
        var bytes = Pcap.encode(records)
        func error(_ b: [UInt8]) -> String {
            do { _ = try Pcap.parse(b, file: "x.pcap"); return "accepted" } catch { return "\(error)" }
        }
        #expect(error(Array(bytes.prefix(10))) == "x.pcap: file header: 10 bytes; a pcap file starts with a 24-byte header")
        #expect(error([0x0A, 0x0D, 0x0D, 0x0A] + bytes.dropFirst(4)).contains("x.pcap: magic: this is a pcapng file"))
        #expect(error(Array(bytes.dropLast(3))).hasPrefix("x.pcap: record 1 data: the file ends 3 bytes early"))
        bytes[20] = 105  // IEEE 802.11
        #expect(error(bytes) == "x.pcap: link type: 105; only Ethernet (1) frames reach a MAC port")
    }

    /// Three frames as text2pcap's hex-dump input: to VF 1, broadcast, to an unknown unicast.
    static let hexdump = """
        0000  02 00 00 00 00 01 02 00 00 00 00 09 08 00 45 00
        0010  00 2e 00 00 40 00 40 11 00 00 0a 00 00 01 0a 00
        0020  00 02 04 00 04 00 00 1a 00 00 00 00 00 00 00 00
        0030  00 00 00 00 00 00 00 00 00 00 00 00
        0000  ff ff ff ff ff ff 02 00 00 00 00 09 08 06 00 01
        0010  08 00 06 04 00 01 02 00 00 00 00 09 0a 00 00 01
        0020  00 00 00 00 00 00 0a 00 00 02 00 00 00 00 00 00
        0030  00 00 00 00 00 00 00 00 00 00 00 00
        0000  02 aa bb cc dd ee 02 00 00 00 00 09 81 00 00 64
        0010  08 00 45 00 00 2e 00 00 40 00 40 11 00 00 0a 00
        0020  00 01 0a 00 00 02 04 00 04 00 00 1a 00 00 00 00
        0030  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00

        """

    @Test("a pcap made by text2pcap goes through a 1 Gb/s port and the sorter; each pool's pcap reads back in tcpdump with its frames")
    func wireToPools() throws {
        let text2pcap = try tool("text2pcap"), tcpdump = try tool("tcpdump")
        let hex = temporary("frames.txt"), input = temporary("in.pcap")
        defer { for f in [hex, input] { try? FileManager.default.removeItem(atPath: f) } }
        try Self.hexdump.write(toFile: hex, atomically: true, encoding: .utf8)
        #expect(try run(text2pcap, ["-q", "-F", "pcap", hex, input]).status == 0, "text2pcap writes pcapng unless told")
        let records = try Pcap.read(path: input)
        #expect(records.map(\.bytes.count) == [60, 60, 64])

        // Pool 1 is VF 1 (its MAC), pools 1 and 7 take broadcast, pool 7 (the PF) is the default.
        let simulator = Simulator(clockHz: 250_000_000)
        let wire = Channel<EthernetFrame>(simulator, path: "nic0.port0.rx", capacity: 64, latency: 3)
        let port = MACPort(simulator, path: "nic0.port0", bitsPerSecond: 1_000_000_000, output: wire)
        var tables = FilterTables<Concrete>(pools: 8)
        tables.receiveAddresses = [.init(address: 0x02_00_00_00_00_01, valid: 1, pools: Bits(1 << 1))]
        tables.acceptBroadcast = Bits(1 << 1 | 1 << 7)
        tables.defaultPool = 7
        let sorter = ReceiveSorter(simulator, path: "nic0.port0.sorter", input: wire, pools: 8) { tables }
        var perPool: [Int: [Pcap.Record]] = [:]
        sorter.deliver = { pool, frame, clock in perPool[pool, default: []].append(Pcap.Record(nanoseconds: clock * 4, bytes: frame.bytes)) }
        // The capture's own times, from its first frame (text2pcap stamps them a microsecond apart).
        for r in records { port.offer(EthernetFrame(r.bytes), atClock: (r.nanoseconds - records[0].nanoseconds) / 4, simulator: simulator) }
        simulator.run(clocks: 10_000)
        #expect(perPool.mapValues { $0.map(\.bytes.count) } == [1: [60, 60], 7: [60, 64]])
        #expect(sorter.poolFrames[1] == 2 && sorter.poolFrames[7] == 2)

        // tcpdump reads each pool's file: as many frames and bytes as the sorter counted.
        for (pool, frames) in perPool {
            let path = temporary("pool\(pool).pcap")
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Pcap.write(frames, path: path)
            let listing = try run(tcpdump, ["-r", path, "-nn", "-e", "-tt", "--nano"])
            #expect(listing.status == 0)
            let lines = listing.stdout.split(separator: "\n")
            #expect(lines.count == Int(sorter.poolFrames[pool]), "\(listing.stdout)")
            let lengths = lines.compactMap { $0.firstMatch(of: /length (\d+):/).map { Int($0.1)! } }
            #expect(UInt64(lengths.reduce(0, +)) == sorter.poolBytes[pool], "\(listing.stdout)")
            // Timestamps from simulated time, nanoseconds: at 1 Gb/s a frame's last bit is
            // (8 + size) * 8 ns after its start (text2pcap's frames start 1 us apart), then 3
            // clocks (12 ns) into the sorter: 576 + 12, 1000 + 576 + 12, 2000 + 608 + 12.
            let expected = pool == 1 ? ["0.000000588", "0.000001588"] : ["0.000001588", "0.000002620"]
            #expect(lines.map { String($0.prefix(11)) } == expected, "\(listing.stdout)")
        }
    }
}
