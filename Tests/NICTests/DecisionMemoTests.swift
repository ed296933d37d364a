import NIC
import RTL
import Testing

/// The sorter remembers its decisions by header until the filters' version changes: the same
/// pools as evaluating every frame, and a register change takes effect on the next frame.
@Suite("Decision memo")
struct DecisionMemoTests {
    @Test("remembered decisions equal evaluated ones; a new filter version is obeyed from the next frame")
    func sorterMemo() {
        let simulator = Simulator(clockHz: 250_000_000)
        let wire = Channel<EthernetFrame>(simulator, path: "nic0.port0.rx", capacity: 64, latency: 1)
        let port = MACPort(simulator, path: "nic0.port0", bitsPerSecond: 10_000_000_000, output: wire)
        var (tables, pf) = L2SorterTests.port(pools: 8)
        var version: UInt64 = 1
        let sorter = ReceiveSorter(simulator, path: "nic0.port0.sorter", input: wire, pools: 8) { tables }
        sorter.tablesVersion = { version }
        var got: [Int] = []
        sorter.deliver = { pool, _, _ in got.append(pool) }
        func send(_ destination: UInt64) -> [Int] {
            got = []
            port.offer(EthernetFrame(destination: destination, source: 0x02_00_00_00_00_99, size: 64), atClock: simulator.now, simulator: simulator)
            simulator.run(clocks: 100)
            return got
        }
        let vf3 = L2SorterTests.vfMAC[3], unknown: UInt64 = 0x02_aa_bb_cc_dd_ee
        #expect(send(vf3) == [3])
        #expect(send(unknown) == [pf])
        #expect(send(vf3) == [3])
        #expect(send(unknown) == [pf])
        #expect(sorter.memo.evaluations == 2 && sorter.memo.hits == 2, "two headers, each decided once")

        // Software moves VF 3's address to pool 5: with the version unchanged the memo would
        // still say pool 3; the registers bump it on every such write.
        tables.receiveAddresses[3].pools = Port.bit(5)
        version += 1
        #expect(send(vf3) == [5])
        #expect(send(unknown) == [pf])
        #expect(sorter.memo.evaluations == 4)
    }

    @Test("the memo keeps at most its limit of headers, then starts over")
    func limit() {
        var memo = DecisionMemo<Int>()
        for k in 0..<(DecisionMemo<Int>.limit + 10) {
            let header = Port.frame(to: UInt64(k))
            #expect(memo.value(for: .init(header), version: 0) { k } == k)
        }
        #expect(memo.evaluations == UInt64(DecisionMemo<Int>.limit + 10) && memo.hits == 0)
        #expect(memo.value(for: .init(Port.frame(to: 1)), version: 0) { -1 } == -1, "an early header was forgotten: evaluated again")
        #expect(memo.value(for: .init(Port.frame(to: UInt64(DecisionMemo<Int>.limit + 9))), version: 0) { -1 } == DecisionMemo<Int>.limit + 9)
    }
}
