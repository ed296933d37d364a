/// A named signal a tracer can record: registered once at elaboration with its width and how
/// to sample it. Sampling costs nothing unless a tracer asks (DESIGN.md §3).
public struct Probe {
    /// Dotted hierarchical name; the part before the last dot is the VCD scope.
    public let path: String
    public let width: Int
    public let sample: () -> UInt64
    /// What says when the value may have changed: a tracer need not sample the probe while
    /// its version stays the same. Nil: sample on every clock that changed anything.
    public let changes: ProbeChanges?
    /// For a signal that moves with time as well as with state (a MAC's busy line rises when a
    /// frame's preamble starts, on a clock nothing may tick in): its value at a given clock.
    /// A tracer samples it on quiet clocks too, at their own clock.
    public let sampleAt: ((UInt64) -> UInt64)?

    public init(path: String, width: Int, changes: ProbeChanges? = nil, sample: @escaping () -> UInt64) {
        precondition((1...64).contains(width), "probe \(path): width \(width) outside 1...64")
        self.path = path
        self.width = width
        self.changes = changes
        self.sample = sample
        sampleAt = nil
    }

    /// A probe whose value is a function of the clock (and of state that changes only in ticks).
    public init(path: String, width: Int, at sampleAt: @escaping (UInt64) -> UInt64, now: @escaping () -> UInt64) {
        precondition((1...64).contains(width), "probe \(path): width \(width) outside 1...64")
        self.path = path
        self.width = width
        changes = nil
        sample = { sampleAt(now()) }
        self.sampleAt = sampleAt
    }
}

/// A version many probes share: a number that changes whenever the state they read may have
/// (a counter the state's owner bumps, or the last clock the only component that changes it
/// ticked). `source` numbers it, so a tracer reads it once per clock however many probes
/// share it.
public struct ProbeChanges {
    public let source: Int
    public let version: () -> UInt64
}

/// The probes of one simulator, in registration order, with unique names.
public struct ProbeRegistry {
    public private(set) var probes: [Probe] = []
    private var names: Set<String> = []

    public mutating func add(_ probe: Probe) {
        precondition(names.insert(probe.path).inserted, "probe \(probe.path) registered twice")
        probes.append(probe)
    }

    /// Probes whose path matches any of the globs (`*` any run of characters, `?` one
    /// character); all probes when `globs` is empty.
    public func matching(_ globs: [String]) -> [Probe] {
        globs.isEmpty ? probes : probes.filter { probe in globs.contains { Glob.matches($0, probe.path) } }
    }
}

/// Shell-style glob matching on signal paths: `*` any run, `?` one character.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
