import Foundation
import Host
import IOVSimKit
import Testing

/// `iovsim run` with a `[host]` table: the VMM gives the VMs memory and domains after bring-up
/// and turns the IOMMU on by MMIO; the VMs' drivers' DMA goes through it.
@Suite("run with the host's IOMMU", .serialized)
struct HostRunTests {
    static let shippedHost = "[host]\nmemory_mb = 1024\niotlb_entries = 32\niotlb_ways = 4\n"

    /// The 82576 model with the VMs' memory sizes given and `host` for its `[host]` table.
    static func variant(vm1MB: Int = 64, vm2MB: Int = 64, host: String = shippedHost) throws -> ModelVariant {
        try ModelVariant("i82576.toml", [
            ("[[vm]]\nname = \"vm1\"\n", "[[vm]]\nname = \"vm1\"\nmemory_mb = \(vm1MB)\n"),
            ("[[vm]]\nname = \"vm2\"\n", "[[vm]]\nname = \"vm2\"\nmemory_mb = \(vm2MB)\n"),
            (shippedHost, host),
        ])
    }

    @Test("each VM gets its memory and a domain, every DMA request of its VFs is translated (mostly from the IOTLB), nothing is blocked and the guard sees nothing")
    func translated() throws {
        let model = try Self.variant()
        defer { model.remove() }
        var options = Runner.Options()
        options.cycles = 200_000
        options.vcd = temporaryPath("host.vcd")
        options.signals = ["top.rc.iommu.*", "top.rc.guard.*"]
        defer { try? FileManager.default.removeItem(atPath: options.vcd!) }
        let summary = try Runner.run(file: model.path, options: options)
        let text = summary.host.joined(separator: "\n")
        // The IOMMU's signals are in the VCD: on after bring-up, counting translations.
        let vcd = VCDFile(try String(contentsOfFile: options.vcd!, encoding: .utf8))
        #expect(vcd.changes["top.rc.iommu.enabled"]?.map(\.value) == [0, 1])
        #expect((vcd.changes["top.rc.iommu.translations"]?.last?.value ?? 0) > 1_000 && vcd.changes["top.rc.guard.violations"]?.map(\.value) == [0])
        let first = try #require(summary.host.first)
        #expect(first.hasPrefix("host: IOMMU on: "), "\(text)")
        let numbers = first.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        let (translations, hits, misses) = (numbers[0], numbers[1], numbers[2])
        // A requester's first request misses the context cache and is walked without an IOTLB
        // lookup; each VM's rings and buffers span a few hundred pages, so most lookups hit.
        #expect(translations > 1_000 && hits + misses <= translations && hits * 10 > translations * 8 && misses < 200, "\(first)")
        #expect(first.contains(" 0 faults recorded, 0 requests blocked"))
        #expect(text.contains("vm1: 64 MiB in 16384 host pages, domain 1, functions 01:10.0, 01:10.1"), "\(text)")
        #expect(text.contains("guard: no DMA write outside its VM's pages") && summary.guardViolations == 0)
        // Each VM's line: its IOTLB share and no faults.
        for vm in ["vm1", "vm2"] {
            let line = try #require(summary.vms.first { $0.hasPrefix("\(vm): ") })
            #expect(line.contains("% of ") && line.contains("; 0 faults; 0 leaked, 0 corrupted"), "\(line)")
        }
    }

    @Test("a VM too small for its drivers' rings: its drivers do not come up and say why; the other VM's run")
    func tooSmallForRings() throws {
        let model = try Self.variant(vm2MB: 1)
        defer { model.remove() }
        var options = Runner.Options()
        options.cycles = 100_000
        let summary = try Runner.run(file: model.path, options: options)
        let notes = summary.host.filter { $0.hasPrefix("note: ") }
        #expect(notes.contains("note: nic0.pf0.vf1: the VF driver is not up (guest memory for the rings ran out)"), "\(notes)")
        #expect(notes.contains("note: nic0.pf1.vf1: the VF driver is not up (guest memory for the rings ran out)"), "\(notes)")
        let vm1 = try #require(summary.vms.first { $0.hasPrefix("vm1: ") })
        #expect(!vm1.hasPrefix("vm1: received 0 frames"), "\(vm1)")
        #expect(summary.guardViolations == 0)
    }

    /// The 82576 model where the VMM unmaps vm1's guest page 256 (its first VF driver's Rx
    /// ring) at clock 200,000 and invalidates as `invalidate` says.
    static func unmapRing(_ invalidate: String) throws -> ModelVariant {
        try ModelVariant("i82576.toml", [("functions = [\"nic0.pf0.vf0\", \"nic0.pf1.vf0\"]\n",
                                          "functions = [\"nic0.pf0.vf0\", \"nic0.pf1.vf0\"]\nevents = [{ clock = 200000, unmap = 256, invalidate = \"\(invalidate)\" }]\n")])
    }

    @Test("a VMM that unmaps a ring page in use and forgets the IOTLB: the VF goes on writing through the stale entry into the freed page, the guard names it, iovsim run exits 1")
    func staleAfterUnmap() throws {
        let model = try Self.unmapRing("none")
        defer { model.remove() }
        let r = try IOVSimBinary.run(["run", model.path, "--cycles", "300000"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let event = try #require(lines.first { $0.contains("VMM: clock 200000: vm1 guest page 256 unmapped") })
        #expect(event.hasSuffix("no IOTLB invalidation (the IOTLB may still translate it)"), "\(event)")
        let page = try #require(event.firstMatch(of: /host page (0x[0-9a-f]+) freed/)).1
        let guardLine = try #require(lines.first { $0.hasPrefix("guard: ") })
        #expect(guardLine.contains("01:10.0 (vm1) wrote host page \(page), which belongs to free"), "\(guardLine)")
    }

    @Test("the same unmap with a page-selective invalidation: the VF's next writes to the page are blocked and recorded (write denied, the VF's source-id, the page), the guard silent; vm1's lost frames are not delivered")
    func blockedAfterInvalidation() throws {
        let model = try Self.unmapRing("page")
        defer { model.remove() }
        var options = Runner.Options()
        options.cycles = 300_000
        var seen: Platform?
        options.clockObserver = { platform, clock in if clock == 0 { seen = platform } }
        let summary = try Runner.run(file: model.path, options: options)
        #expect(summary.guardViolations == 0)
        let page = try #require(seen?.vmm?.machines["vm1"]?.pages[256])
        let event = "vm1 guest page 256 unmapped (host page 0x\(String(page << 12, radix: 16)) freed); page-selective IOTLB invalidation"
        #expect(summary.host.contains { $0.hasSuffix(event) }, "\(summary.host)")
        let faults = try #require(seen?.host?.iommu.faults)
        #expect(!faults.isEmpty)
        for fault in faults {
            #expect(fault.sourceID == 0x180 && fault.address == 0x10_0000 && fault.isWrite && fault.code == SecondLevelTranslation.Reason.writeDenied.rawValue && fault.clock >= 200_000,
                    "\(fault)")
        }
        let first = try #require(summary.host.first)
        #expect(!first.contains(" 0 requests blocked"), "\(first)")
        let vm1 = try #require(summary.vms.first { $0.hasPrefix("vm1: ") })
        #expect(vm1.contains("queue: no descriptor or queue off") && !vm1.contains("; 0 faults;"), "\(vm1)")
    }

    @Test("VMM events that cannot be are model errors naming the key", arguments: [
        ("events = [{ clock = 1, unmap = 16384 }]", "vm[0].events[0].unmap", "0...16383"),
        ("events = [{ clock = 1, unmap = 3, invalidate = \"some\" }]", "vm[0].events[0].invalidate", "page, domain, global, none"),
        ("events = [{ clock = 1, unmapp = 3 }]", "vm[0].events[0]", "unknown key"),
    ] as [(String, String, String)])
    func eventErrors(_ c: (String, String, String)) throws {
        let text = try String(contentsOfFile: Repository.model("i82576.toml"), encoding: .utf8)
            .replacingOccurrences(of: "functions = [\"nic0.pf0.vf0\", \"nic0.pf1.vf0\"]\n", with: "functions = [\"nic0.pf0.vf0\", \"nic0.pf1.vf0\"]\n\(c.0)\n")
        do {
            _ = try ModelLoader.parse(text, file: "events.toml")
            Issue.record("no error for \(c.0)")
        } catch let error as ModelError {
            #expect(error.keyPath.hasPrefix(c.1) && error.message.contains(c.2), "\(error)")
        }
    }

    @Test("host keys out of range and VMs that do not fit are model errors naming the key", arguments: [
        ("[host]\nmemory_mb = 32\n", 64, "host.memory_mb", "64 ... 65536"),
        ("[host]\niotlb_entries = 10\niotlb_ways = 4\n", 64, "host.iotlb_entries", "do not divide"),
        ("[host]\nfault_records = 0\n", 64, "host.fault_records", "1 ... 256"),
        ("[host]\nmemory_mb = 128\n", 100, "vm[1].memory_mb", "exceeds the host's 96 MiB"),
    ] as [(String, Int, String, String)])
    func errors(_ c: (String, Int, String, String)) throws {
        let model = try Self.variant(vm2MB: c.1, host: c.0)
        defer { model.remove() }
        do {
            _ = try ModelLoader.load(path: model.path)
            Issue.record("no error for \(c.0)")
        } catch let error as ModelError {
            #expect(error.keyPath == c.2 && error.message.contains(c.3), "\(error)")
        }
    }

    @Test("Models/broken/vmm-maps-foreign-page.toml: vm1's VF writes into vm2's page; the guard names the clock, the requester and the page, and iovsim run exits 1")
    func foreignPage() throws {
        let r = try IOVSimBinary.run(["run", Repository.root.appendingPathComponent("Models/broken/vmm-maps-foreign-page.toml").path, "--cycles", "100000"])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        let line = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("guard: ") })
        #expect(line.contains("01:10.0 (vm1) wrote host page 0x") && line.contains("which belongs to vm2"), "\(line)")
        // vm1's driver took those frames from buffers the device never wrote: corrupt.
        let vm1 = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("vm1: ") })
        #expect(!vm1.hasSuffix(" 0 corrupted") && vm1.contains(" corrupted"), "\(vm1)")
        // The same model without the VMM bug runs clean.
        let fixed = try ModelVariant(text: try String(contentsOfFile: Repository.root.appendingPathComponent("Models/broken/vmm-maps-foreign-page.toml").path, encoding: .utf8)
            .replacingOccurrences(of: "map_foreign = [{ guest_page = 257, vm = \"vm2\", page = 5 }]\n", with: ""))
        defer { fixed.remove() }
        let clean = try IOVSimBinary.run(["run", fixed.path, "--cycles", "100000"])
        #expect(clean.status == 0 && clean.stdout.contains("guard: no DMA write outside its VM's pages"))
    }

    @Test("map_foreign entries that cannot be are model errors naming the key", arguments: [
        ("map_foreign = [{ guest_page = 257, vm = \"vm2\", page = 5 }]", "map_foreign = [{ guest_page = 3, vm = \"vm9\", page = 5 }]", "vm[0].map_foreign[0].vm", "is not a VM"),
        ("map_foreign = [{ guest_page = 257, vm = \"vm2\", page = 5 }]", "map_foreign = [{ guest_page = 16384, vm = \"vm2\", page = 5 }]", "vm[0].map_foreign[0].guest_page", "0...16383"),
        ("map_foreign = [{ guest_page = 257, vm = \"vm2\", page = 5 }]", "map_foreign = [{ guest_page = 3, vm = \"vm2\", page = -1 }]", "vm[0].map_foreign[0].page", "0...16383"),
        ("[host]\nmemory_mb = 1024\n", "", "vm[0].map_foreign[0]", "no [host]"),
    ] as [(String, String, String, String)])
    func foreignErrors(_ c: (String, String, String, String)) throws {
        let text = try String(contentsOfFile: Repository.root.appendingPathComponent("Models/broken/vmm-maps-foreign-page.toml").path, encoding: .utf8)
        #expect(text.contains(c.0))
        do {
            _ = try ModelLoader.parse(text.replacingOccurrences(of: c.0, with: c.1), file: "broken.toml")
            Issue.record("no error for \(c.1)")
        } catch let error as ModelError {
            #expect(error.keyPath == c.2 && error.message.contains(c.3), "\(error)")
        }
    }
}
