/// A clocked block: registered state plus `tick`, which computes the next state from the
/// current state and the inputs visible on its channels (DESIGN.md §3; Clash's
/// `next(state, inputs)`, PyMTL3's `@update_ff`).
///
/// Components talk only through `Channel`s. A channel's pushes and pops take effect when the
/// clock commits, after every scheduled component has ticked, so what one component does in a
/// clock is never seen by another in the same clock: declaration and evaluation order cannot
/// change results. A component must not read another component's state directly.
///
/// Idle costs nothing: the simulator only ticks a component that was woken, by a channel
/// delivering to it, by space freeing in a channel it feeds, or by `Simulator.wake`.
public protocol Component: AnyObject {
    /// Dotted hierarchical name (`rc.rp0`, `nic.pf0.vf5`), used in traces and line traces.
    var path: String { get }
    /// One clock of work. Read inputs (channel heads visible now), update own registers,
    /// push outputs; ask `simulator.wake(self, ...)` for later clocks if there is more to do.
    func tick(_ simulator: Simulator)
    /// A one-line summary of the state (PyMTL3's line_trace), for readable test failures.
    var lineTrace: String { get }
}

extension Component {
    public var lineTrace: String { path }
}

/// Joins hierarchical names: `Hierarchy.path("nic", "pf0", "vf5") == "nic.pf0.vf5"`.
public enum Hierarchy {
    public static func path(_ parts: String...) -> String {
        parts.filter { !$0.isEmpty }.joined(separator: ".")
    }

    /// The scope names of a dotted path, outermost first (`a.b.c` -> `["a", "b"]`).
    public static func scopes(of path: String) -> [Substring] {
        Array(path.split(separator: ".").dropLast())
    }

    /// The last component of a dotted path.
    public static func leaf(of path: String) -> Substring {
        path.split(separator: ".").last ?? Substring(path)
    }
}
