import RTL

/// The host CPU's view of configuration space and memory-mapped registers: every access is a TLP the root complex sends,
/// clock by clock, through the fabric; the CPU stalls until its completion comes back (or a
/// completion timeout expires), as a real core stalls on a config access.
public final class ConfigAccess {
    public let simulator: Simulator
    public let rootComplex: FabricNode
    public var timeoutClocks: UInt64 = 10_000
    public private(set) var accesses = 0
    /// Tags 0x00-0x7F; the host CPU's clocked programs use 0x80-0xFF (`HostCPU`), so their
    /// completions never meet.
    var tag: UInt8 = 0

    public init(simulator: Simulator, rootComplex: FabricNode) {
        self.simulator = simulator
        self.rootComplex = rootComplex
    }

    /// Issues one request and runs the clock until its completion arrives.
    func transact(_ request: TLP) -> TLP? {
        accesses += 1
        tag = (tag &+ 1) & 0x7F
        var tlp = request
        tlp.tag = tag
        rootComplex.submit(tlp, simulator: simulator)
        let deadline = simulator.now + timeoutClocks
        while simulator.now < deadline {
            if let index = rootComplex.cpuInbox.firstIndex(where: { $0.tag == tlp.tag }) {
                return rootComplex.cpuInbox.remove(at: index)
            }
            simulator.step()
        }
        return nil
    }

    /// A CPU load of one dword of memory space (MMIO): a memory read request, the core stalls
    /// for its completion. Nil on a completion timeout or an unsuccessful completion.
    public func memoryRead(_ address: UInt64) -> UInt32? {
        guard let cpl = transact(TLP(kind: .memoryRead, requesterID: 0, length: 1, address: address & ~3)), cpl.status == .successful else { return nil }
        return cpl.payload.first
    }

    /// A CPU store of one dword to memory space: a posted write, the core does not wait.
    /// Later requests stay behind it on the way down (PCIe ordering), so a read that follows
    /// sees it.
    public func memoryWrite(_ address: UInt64, _ value: UInt32) {
        accesses += 1
        rootComplex.submit(TLP(kind: .memoryWrite, requesterID: 0, length: 1, address: address & ~3, payload: [value]), simulator: simulator)
    }

    /// The config request for `size` bytes at `offset` of function `rid` (Type 0 on bus 0,
    /// Type 1 beyond it), a write when `value` is given; nil for a misaligned access.
    public static func configRequest(_ rid: UInt16, _ offset: Int, size: Int, write value: UInt32?) -> TLP? {
        guard let enables = ConfigWrite.byteEnables(offset: offset, size: size) else { return nil }
        let type0 = rid >> 8 == 0
        let kind: TLP.Kind = value == nil ? (type0 ? .configRead0 : .configRead1) : (type0 ? .configWrite0 : .configWrite1)
        let data = value.map { [$0 << UInt32(8 * (offset & 3))] } ?? []
        return TLP(kind: kind, requesterID: 0, firstBE: UInt8(enables), targetID: rid, register: offset & ~3, payload: data)
    }

    /// The `size` bytes at `offset` out of a config read's completion; nil unless successful.
    public static func configValue(_ completion: TLP?, _ offset: Int, size: Int) -> UInt32? {
        guard let completion, completion.status == .successful, let dw = completion.payload.first else { return nil }
        let shifted = dw >> UInt32(8 * (offset & 3))
        return size == 4 ? shifted : shifted & ((1 << UInt32(8 * size)) - 1)
    }

    func request(_ rid: UInt16, _ offset: Int, size: Int, write value: UInt32?) -> TLP? {
        Self.configRequest(rid, offset, size: size, write: value).flatMap(transact)
    }

    /// A config read; nil on Unsupported Request or timeout (software then sees all ones).
    public func read(_ rid: UInt16, _ offset: Int, size: Int = 4) -> UInt32? {
        Self.configValue(request(rid, offset, size: size, write: nil), offset, size: size)
    }

    /// A config write; false on Unsupported Request or timeout.
    @discardableResult
    public func write(_ rid: UInt16, _ offset: Int, size: Int = 4, _ value: UInt32) -> Bool {
        request(rid, offset, size: size, write: value)?.status == .successful
    }

    /// The offset of a capability (standard list from 0x34, or the extended list from 0x100).
    public func capability(_ rid: UInt16, id: UInt16, extended: Bool) -> Int? {
        if extended {
            var offset = 0x100
            for _ in 0..<64 {
                guard let header = read(rid, offset), header != 0, header != 0xFFFF_FFFF else { return nil }
                if header & 0xFFFF == UInt32(id) { return offset }
                offset = Int(header >> 20) & 0xFFC
                if offset < 0x100 { return nil }
            }
            return nil
        }
        guard let status = read(rid, 0x06, size: 2), status & 0x10 != 0, var offset = read(rid, 0x34, size: 1).map(Int.init) else { return nil }
        for _ in 0..<48 where offset >= 0x40 {
            guard let header = read(rid, offset, size: 2) else { return nil }
            if header & 0xFF == UInt32(id) { return offset }
            offset = Int(header >> 8) & 0xFC
        }
        return nil
    }
}
