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
    /// The codes as bytes, for the hot path: probe k's are `codeBytes[codeStart[k]..<codeStart[k + 1]]`.
    let codeBytes: [UInt8]
    let codeStart: [Int]
    let clockBytes: [UInt8]
    /// The clock's two edge lines ("1" or "0", its code, newline), written every clock.
    let risingEdge: [UInt8], fallingEdge: [UInt8]
    /// The last time written, in decimal (ASCII digits right-aligned in 20 bytes, from
    /// `timeStart`): the next time is this one plus a small step, added digit by digit, where
    /// writing it from scratch divided by ten per digit, twice a clock.
    let timeDigits = UnsafeMutablePointer<UInt8>.allocate(capacity: 20)
    var timeStart = 19
    var lastTime: UInt64 = 0
    /// The last step's decimal digits, lowest first, without its trailing zeros (a run steps
    /// by half a period, again and again), and how many zeros it ends in.
    var stepValue: UInt64 = 0, stepDigits: [UInt8] = [], stepZeros = 0
    /// Per probe its last value written, per source its version last seen, and the bitmap of
    /// probes to sample: fixed blocks (an array in the writer checked its uniqueness on every
    /// store, several times a probe).
    let last: UnsafeMutablePointer<UInt64>
    let widths: [Int]
    /// Each change source's version reader, the version its probes were last sampled at, and
    /// its probes (ascending); the probes without a source. Kept apart from the probes so that
    /// a clock costs a read per source, not a look at every probe.
    let sourceReaders: [Unmanaged<Sampler>]
    let sourceVersions: UnsafeMutablePointer<UInt64>
    let probesOfSource: [[Int]]
    let unsourced: [Int]
    /// The probes to sample this clock, as a bitmap (so they are visited in probe order).
    let pending: UnsafeMutablePointer<UInt64>
    let pendingWords: Int
    /// Each probe's sampler, called through an uncounted reference (calling a probe's closure
    /// from the probe list retained and released its context every sample); and the objects.
    let samplers: [Unmanaged<Sampler>]
    let samplerObjects: [Sampler]
    /// The probes that move with the clock (sampled on quiet clocks too), and their samplers.
    let timed: [(Int, Unmanaged<TimedSampler>)]
    let timedSamplers: [TimedSampler]
    let periodPS: UInt64
    let options: Options
    let clockCode: String?
    /// The bytes not yet written: a fixed block (appending to an array checked its uniqueness
    /// on every byte), flushed when a clock's worth might not fit.
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: VCDWriter.bufferCapacity)
    var used = 0
    static let bufferCapacity = 1 << 20
    static let flushAt = 1 << 16
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
        codeBytes = codes.flatMap { Array($0.utf8) }
        codeStart = codes.reduce(into: [0]) { $0.append($0.last! + $1.utf8.count) }
        clockBytes = clockCode.map { Array($0.utf8) } ?? []
        risingEdge = [0x31] + clockBytes + [0x0A]
        fallingEdge = [0x30] + clockBytes + [0x0A]
        timeDigits.initialize(repeating: 0x30, count: 20)
        last = Self.block(selected.count, .max)
        widths = selected.map(\.width)
        var numbers: [Int: Int] = [:], readers: [Sampler] = [], members: [[Int]] = [], unsourced: [Int] = []
        for (k, probe) in selected.enumerated() {
            guard let changes = probe.changes else {
                unsourced.append(k)
                continue
            }
            if numbers[changes.source] == nil {
                numbers[changes.source] = readers.count
                readers.append(Sampler(changes.version))
                members.append([])
            }
            members[numbers[changes.source]!].append(k)
        }
        let timedObjects = selected.enumerated().compactMap { k, probe in probe.sampleAt.map { (k, TimedSampler($0)) } }
        timedSamplers = timedObjects.map(\.1)
        timed = timedObjects.map { ($0.0, .passUnretained($0.1)) }
        let objects = selected.map { Sampler($0.sample) } + readers
        samplerObjects = objects
        samplers = objects.prefix(selected.count).map { .passUnretained($0) }
        sourceReaders = objects.suffix(readers.count).map { .passUnretained($0) }
        sourceVersions = Self.block(readers.count, .max)
        probesOfSource = members
        self.unsourced = unsourced
        pendingWords = (selected.count + 63) / 64
        pending = Self.block(pendingWords, 0)
        periodPS = max(2, 1_000_000_000_000 / clockHz) & ~1
        writeHeader(names: names, widths: (withClock ? [1] : []) + widths, codes: allCodes)
    }

    /// `count` words set to `value`, for the writer's life (at least one, so none is empty).
    static func block(_ count: Int, _ value: UInt64) -> UnsafeMutablePointer<UInt64> {
        let words = UnsafeMutablePointer<UInt64>.allocate(capacity: max(count, 1))
        words.initialize(repeating: value, count: max(count, 1))
        return words
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
        for byte in text.utf8 { put(byte) }
        if used >= Self.flushAt { flush() }
    }

    func flush() {
        guard used > 0 else { return }
        handle.write(Data(bytes: buffer, count: used))
        bytesWritten += used
        used = 0
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

    /// One byte into the buffer (written out when full: a clock's changes usually fit, as it
    /// is flushed past `flushAt`, far below its capacity, but a trace of thousands of signals
    /// may not).
    @inline(__always)
    func put(_ byte: UInt8) {
        if used == Self.bufferCapacity { flush() }
        buffer[used] = byte
        used += 1
    }

    deinit {
        buffer.deallocate()
        timeDigits.deallocate()
        last.deallocate()
        sourceVersions.deallocate()
        pending.deallocate()
    }

    /// A value change as bytes: `0!` / `1!` for one bit, `b1010 !` for vectors (§18.2.3.8).
    @inline(__always)
    func appendValue(_ v: UInt64, width: Int, code k: Int) {
        appendValue(v, width: width, code: codeBytes[codeStart[k]..<codeStart[k + 1]])
    }

    @inline(__always)
    func appendValue(_ v: UInt64, width: Int, code: ArraySlice<UInt8>) {
        // Room for the longest change (b, 64 digits, space, code, newline) made once; the
        // bytes then go straight into the buffer.
        reserve(67 + code.count)
        var at = used
        if width == 1 {
            buffer[at] = v & 1 == 1 ? 0x31 : 0x30
            at += 1
        } else {
            buffer[at] = 0x62
            at += 1
            let digits = max(1, 64 - v.leadingZeroBitCount)
            for bit in stride(from: digits - 1, through: 0, by: -1) {
                buffer[at] = (v >> UInt64(bit)) & 1 == 1 ? 0x31 : 0x30
                at += 1
            }
            buffer[at] = 0x20
            at += 1
        }
        for byte in code {
            buffer[at] = byte
            at += 1
        }
        buffer[at] = 0x0A
        used = at + 1
    }

    /// `#time` and a newline, the decimal digits written straight into the buffer.
    @inline(__always)
    func appendTime(_ time: UInt64) {
        if time >= lastTime {
            // Add the step to the decimal digits: its own digits (from its first non-zero one),
            // then the carry.
            let step = time - lastTime
            if step != stepValue {
                stepValue = step
                stepDigits = []
                stepZeros = 0
                var n = step
                while n > 0 && n % 10 == 0 {
                    n /= 10
                    stepZeros += 1
                }
                while n > 0 {
                    stepDigits.append(UInt8(truncatingIfNeeded: n % 10))
                    n /= 10
                }
            }
            var carry: UInt8 = 0, k = 19 - stepZeros, j = 0
            while j < stepDigits.count || carry > 0 {
                var digit = timeDigits[k] - 0x30 + (j < stepDigits.count ? stepDigits[j] : 0) + carry
                carry = digit >= 10 ? 1 : 0
                if carry == 1 { digit -= 10 }
                timeDigits[k] = 0x30 + digit
                if k < timeStart && digit != 0 { timeStart = k }
                k -= 1
                j += 1
            }
        } else {
            var n = time
            timeStart = 20
            repeat {
                timeStart -= 1
                timeDigits[timeStart] = UInt8(truncatingIfNeeded: 0x30 + n % 10)
                n /= 10
            } while n > 0
            for k in 0..<timeStart { timeDigits[k] = 0x30 }
        }
        lastTime = time
        let digits = 20 - timeStart
        reserve(digits + 2)
        buffer[used] = 0x23
        (buffer + used + 1).update(from: timeDigits + timeStart, count: digits)
        buffer[used + digits + 1] = 0x0A
        used += digits + 2
    }

    /// A prebuilt line (the clock's edges).
    @inline(__always)
    func append(line: [UInt8]) {
        reserve(line.count)
        line.withUnsafeBufferPointer { (buffer + used).update(from: $0.baseAddress!, count: $0.count) }
        used += line.count
    }

    /// At least `bytes` free in the buffer (flushed when not).
    @inline(__always)
    func reserve(_ bytes: Int) {
        if used + bytes > Self.bufferCapacity { flush() }
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
        if !clockBytes.isEmpty { append(line: risingEdge) }
        if first || !quiet {
            sampleProbes(first: first)
        } else {
            sampleTimed(clock: clock)
        }
        if first { emit("$end\n") }
        if !clockBytes.isEmpty {
            appendTime(time + periodPS / 2)
            append(line: fallingEdge)
        }
        if used >= Self.flushAt { flush() }
    }

    /// Samples the probes (those with `changes` only when it moved) and appends the changes, in
    /// probe order, each through its `Sampler` (reading a probe out of the list retained its
    /// closures, which cost more than most samples).
    func sampleProbes(first: Bool) {
        for g in sourceReaders.indices {
            let version = sourceReaders[g]._withUnsafeGuaranteedRef { $0.sample() }
            guard first || version != sourceVersions[g] else { continue }
            sourceVersions[g] = version
            for k in probesOfSource[g] { pending[k >> 6] |= 1 << UInt64(k & 63) }
        }
        for k in unsourced { pending[k >> 6] |= 1 << UInt64(k & 63) }
        for w in 0..<pendingWords {
            var bits = pending[w]
            pending[w] = 0
            while bits != 0 {
                let k = w << 6 | bits.trailingZeroBitCount
                bits &= bits &- 1
                let v = samplers[k]._withUnsafeGuaranteedRef { $0.sample() }
                if first || v != last[k] {
                    last[k] = v
                    appendValue(v, width: widths[k], code: k)
                }
            }
        }
    }

    /// On a quiet clock: the probes whose value moves with the clock (`Probe.sampleAt`), at it.
    func sampleTimed(clock: UInt64) {
        for (k, sampler) in timed {
            let v = sampler._withUnsafeGuaranteedRef { $0.sample(clock) }
            if v != last[k] {
                last[k] = v
                appendValue(v, width: widths[k], code: k)
            }
        }
    }

    /// Flushes and closes the file.
    public func close() throws {
        flush()
        try handle.close()
    }
}

/// A probe's (or a change source's) sampling closure in an object of its own, for calls at +0.
final class Sampler {
    let sample: () -> UInt64
    init(_ sample: @escaping () -> UInt64) { self.sample = sample }
}

/// A timed probe's sampling closure (`Probe.sampleAt`), likewise.
final class TimedSampler {
    let sample: (UInt64) -> UInt64
    init(_ sample: @escaping (UInt64) -> UInt64) { self.sample = sample }
}
