import Foundation
import RTL
import Testing
import Trace

@Suite("VCD writer")
struct VCDWriterTests {
    static func temporary() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("vcd-\(UUID().uuidString).vcd").path }

    @Test("header, nested scopes, $dumpvars, then only changes, with the clock")
    func format() throws {
        var a: UInt64 = 0, b: UInt64 = 5
        let probes = [
            Probe(path: "top.rc.rp0.valid", width: 1) { a },
            Probe(path: "top.rc.count", width: 8) { b },
        ]
        let path = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try VCDWriter(path: path, probes: probes, clockHz: 250_000_000, options: .init(date: "pinned"))
        writer.sample(clock: 0)
        a = 1
        writer.sample(clock: 1)
        writer.sample(clock: 2)
        b = 6
        writer.sample(clock: 3)
        try writer.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == """
            $date
              pinned
            $end
            $version
              IOVSim
            $end
            $timescale 1ps $end
            $scope module top $end
            $var wire 1 ! clk $end
            $scope module rc $end
            $var wire 8 # count [7:0] $end
            $scope module rp0 $end
            $var wire 1 " valid $end
            $upscope $end
            $upscope $end
            $upscope $end
            $enddefinitions $end
            #0
            $dumpvars
            1!
            0"
            b101 #
            $end
            #2000
            0!
            #4000
            1!
            1"
            #6000
            0!
            #8000
            1!
            #10000
            0!
            #12000
            1!
            b110 #
            #14000
            0!

            """)
    }

    @Test("--signals and --from/--to limit what is written; codes stay unique past 94 signals")
    func selection() throws {
        let probes = (0..<200).map { k in Probe(path: "top.s\(k / 10).v\(k)", width: 4) { UInt64(k % 16) } }
        let path = Self.temporary()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let writer = try VCDWriter(path: path, probes: probes, clockHz: 1_000_000, options: .init(globs: ["top.s1*"], from: 5, to: 6, date: "x"))
        #expect(writer.probes.count == 10 + 100, "s1 and s10...s19")
        for clock in 0..<10 { writer.sample(clock: UInt64(clock)) }
        try writer.close()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let codes = text.split(separator: "\n").filter { $0.hasPrefix("$var") }.map { $0.split(separator: " ")[3] }
        #expect(codes.count == 110)
        #expect(Set(codes).count == 110)
        #expect(!text.contains(" clk "), "the clock is not selected")
        #expect(text.contains("#5000000\n$dumpvars"), "the window starts with a full dump")
        #expect(!text.contains("#7000000"), "nothing after --to")
    }
}
