import Foundation
import RTL

/// Writes probes as a Value Change Dump (IEEE 1364-2005 §18): header with $date, $version and a
/// $timescale matching the clock, one $scope per level of the dotted probe names, $var with
/// real widths and short identifier codes, $dumpvars with initial values, then only changes,
/// at each clock edge, plus the clock itself. Streams through a buffer, so memory stays flat
/// however long the run; `from`/`to` limit the clocks written.
public final class VCDWriter {
    public struct Options: Sendable {
        public var globs: [String] = []
        public var from: UInt64 = 0
        public var to: UInt64 = .max
        /// $date text; tests pin it to compare files.
        public var date: String?
        public init(globs: [String] = [], from: UInt64 = 0, to: UInt64 = .max, date: String? = nil) {
            self.globs = globs
            self.from = from
            self.to = to
            self.date = date
        }
    }

    let handle: FileHandle
    public let probes: [Probe]
    let codes: [String]
    /// The codes as bytes, for the hot path.
    let codeBytes: [[UInt8]]
    let clockBytes: [UInt8]
    var last: [UInt64]
    let periodPS: UInt64
    let options: Options
    let clockCode: String?
    var buffer: [UInt8] = []
    var started = false
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    /// `clockName` is the clock signal's path (`top.clk`); it is written when it matches the globs.
    public init(path: String, probes: [Probe], clockHz: UInt64, clockName: String = "top.clk", options: Options = Options()) throws {
        let handle = try OutputFile.create(path)
        self.handle = handle
        self.options = options
        let selected = options.globs.isEmpty ? probes : probes.filter { probe in options.globs.contains { Glob.matches($0, probe.path) } }
        self.probes = selected
        let withClock = options.globs.isEmpty || options.globs.contains { Glob.matches($0, clockName) }
        var names = selected.map(\.path)
        if withClock { names.insert(clockName, at: 0) }
        let allCodes = (0..<names.count).map(Self.code)
        clockCode = withClock ? allCodes[0] : nil
        codes = withClock ? Array(allCodes.dropFirst()) : allCodes
        codeBytes = codes.map { Array($0.utf8) }
        clockBytes = clockCode.map { Array($0.utf8) } ?? []
        last = Array(repeating: .max, count: selected.count)
        periodPS = max(2, 1_000_000_000_000 / clockHz) & ~1
        buffer.reserveCapacity(1 << 16)
        writeHeader(names: names, widths: (withClock ? [1] : []) + selected.map(\.width), codes: allCodes)
    }

    /// Short identifier codes from the printable ASCII range `!` ... `~` (§18.2.3.1).
    static func code(_ index: Int) -> String {
        var n = index, out = ""
        repeat {
            out.append(Character(UnicodeScalar(UInt8(33 + n % 94))))
            n = n / 94 - 1
        } while n >= 0
        return out
    }

    func emit(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        handle.write(Data(buffer))
        bytesWritten += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    func writeHeader(names: [String], widths: [Int], codes: [String]) {
        emit("$date\n  \(options.date ?? Date().description)\n$end\n")
        emit("$version\n  IOVSim\n$end\n")
        emit("$timescale 1ps $end\n")
        // Scopes from the dotted names, in first-seen order, nested.
        var open: [Substring] = []
        let order = names.indices.sorted { names[$0] < names[$1] }
        for index in order {
            let parts = names[index].split(separator: ".")
            let scopes = Array(parts.dropLast())
            var common = 0
            while common < min(open.count, scopes.count) && open[common] == scopes[common] { common += 1 }
            for _ in common..<open.count { emit("$upscope $end\n") }
            open.removeLast(open.count - common)
            for scope in scopes[common...] {
                emit("$scope module \(scope) $end\n")
                open.append(scope)
            }
            emit("$var wire \(widths[index]) \(codes[index]) \(parts.last!) \(widths[index] > 1 ? "[\(widths[index] - 1):0] " : "")$end\n")
        }
        for _ in open { emit("$upscope $end\n") }
        emit("$enddefinitions $end\n")
    }

    /// A value change as bytes: `0!` / `1!` for one bit, `b1010 !` for vectors (§18.2.3.8).
    @inline(__always)
    func appendValue(_ v: UInt64, width: Int, code: [UInt8]) {
        if width == 1 {
            buffer.append(v & 1 == 1 ? 0x31 : 0x30)
        } else {
            buffer.append(0x62)
            let digits = max(1, 64 - v.leadingZeroBitCount)
            for bit in stride(from: digits - 1, through: 0, by: -1) { buffer.append((v >> UInt64(bit)) & 1 == 1 ? 0x31 : 0x30) }
            buffer.append(0x20)
        }
        buffer.append(contentsOf: code)
        buffer.append(0x0A)
    }

    @inline(__always)
    func appendTime(_ time: UInt64) {
        buffer.append(0x23)
        buffer.append(contentsOf: String(time).utf8)
        buffer.append(0x0A)
    }

    /// Samples every probe after clock `clock` committed; writes the changes. `quiet`: nothing
    /// changed this clock (`Simulator.quiet`), so only the clock's edges are written.
    public func sample(clock: UInt64, quiet: Bool = false) {
        guard clock >= options.from, clock <= options.to else { return }
        let time = clock * periodPS
        appendTime(time)
        let first = !started
        if first {
            started = true
            emit("$dumpvars\n")
        }
        if !clockBytes.isEmpty { appendValue(1, width: 1, code: clockBytes) }
        for k in probes.indices where first || !quiet {
            let v = probes[k].sample()
            if first || v != last[k] {
                last[k] = v
                appendValue(v, width: probes[k].width, code: codeBytes[k])
            }
        }
        if first { emit("$end\n") }
        if !clockBytes.isEmpty {
            appendTime(time + periodPS / 2)
            appendValue(0, width: 1, code: clockBytes)
        }
        if buffer.count >= 1 << 16 { flush() }
    }

    /// Flushes and closes the file.
    public func close() throws {
        flush()
        try handle.close()
    }
}
