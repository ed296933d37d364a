import Host
import NIC
import PCIe

/// Consistency rules a model file must meet beyond its types, each reported at its key.
struct ModelValidator {
    let file: String

    func fail(_ path: String, _ message: String) -> ModelError { ModelError(file: file, keyPath: path, message: message) }

    func validate(_ model: ModelFile) throws {
        guard !model.device.pf.isEmpty else { throw fail("device.pf", "at least one PF is required") }
        guard model.device.pf.count <= 8 else { throw fail("device.pf", "\(model.device.pf.count) PFs; a device without ARI has at most 8 functions") }
        for (p, pf) in model.device.pf.enumerated() {
            let path = "device.pf[\(p)]"
            guard pf.classCode <= 0xFF_FFFF else { throw fail("\(path).class", "value out of range: a class code is 24 bits") }
            if let pin = pf.interruptPin, pin > 4 { throw fail("\(path).interrupt_pin", "value out of range: 0 (none) or 1...4 (INTA...INTD)") }
            if let queues = pf.queues {
                for (key, n) in [("rx", queues.rx), ("tx", queues.tx)] where !(0...1024).contains(n) {
                    throw fail("\(path).queues.\(key)", "value out of range: 0...1024 queues")
                }
            }
            if let acs = pf.acs { try acsBits(acs.capabilities, path: "\(path).acs.capabilities") }
            if let ats = pf.ats { try atsFields(ats, path: "\(path).ats") }
            if let ats = pf.sriov?.vf.ats { try atsFields(ats, path: "\(path).sriov.vf.ats") }
            try validateBARs(pf.bar ?? [], path: "\(path).bar")
            if let size = pf.expansionROMSize { try powerOfTwo(size, minimum: 2048, path: "\(path).expansion_rom_size") }
            if let msix = pf.msix { try validateMSIX(msix, bars: pf.bar ?? [], path: "\(path).msix") }
            if let pcie = pf.pcie { try validatePCIe(pcie, path: "\(path).pcie") }
            try validateLayout(ModelDevice.capabilities(of: pf), path: path, keys: ModelDevice.capabilityKeys(of: pf))
            if let sriov = pf.sriov { try validateSRIOV(sriov, path: "\(path).sriov") }
        }
        try validatePlatform(model)
        try validateNIC(model)
        try validateTraffic(model)
        if let at = model.prove?.at, at > ProveModel.latest { throw fail("prove.at", "value out of range: 0...\(ProveModel.latest) clocks") }
    }

    /// The register map family and what follows from it; generators on ports that exist.
    func validateNIC(_ model: ModelFile) throws {
        if let nic = model.device.nic {
            guard let map = ModelDevice.registerMap(nic.registers) else {
                throw fail("device.nic.registers", "'\(nic.registers)' is not a register map IOVSim has (expected one of: \(ModelDevice.registerMaps.keys.sorted().joined(separator: ", ")))")
            }
            guard [1, 10].contains(nic.portSpeedGbps) else { throw fail("device.nic.port_speed_gbps", "value out of range: 1 or 10 (Gb/s)") }
            if let latency = nic.sorterLatency, !(1...1000).contains(latency) { throw fail("device.nic.sorter_latency", "value out of range: 1...1000 clocks") }
            for (key, bytes) in [("rx_packet_buffer", nic.rxPacketBuffer), ("tx_packet_buffer", nic.txPacketBuffer)] {
                if let bytes, !(64...(16 << 20)).contains(bytes) { throw fail("device.nic.\(key)", "value out of range: 64 bytes ... 16 MiB") }
            }
            let sizes = [("pools", nic.pools, map.pools), ("receive_addresses", nic.receiveAddresses, map.receiveAddresses),
                         ("vlan_filters", nic.vlanFilters, map.vlanFilters)]
            for (key, stated, actual) in sizes where stated != nil && stated != actual {
                throw fail("device.nic.\(key)", "the \(map.family) has \(actual), not \(stated!)")
            }
        }
        for (g, generator) in (model.generator ?? []).enumerated() {
            let at = "generator[\(g)]"
            guard model.device.nic != nil else { throw fail(at, "frames need a NIC: the model has no [device.nic]") }
            let parts = generator.port.split(separator: ".")
            let devices = model.effectivePlatform.device.map(\.name)
            guard parts.count == 2, devices.contains(String(parts[0])), parts[1].hasPrefix("port"), let n = Int(parts[1].dropFirst(4)),
                  (0..<model.device.pf.count).contains(n) else {
                throw fail("\(at).port", "'\(generator.port)' is not a port (expected DEVICE.portN with N below \(model.device.pf.count), e.g. \(devices[0]).port0)")
            }
            guard (0...10_000_000).contains(generator.frames) else { throw fail("\(at).frames", "value out of range: 0...10000000 frames") }
            if let load = generator.load, !(1...100).contains(load) { throw fail("\(at).load", "value out of range: 1...100 percent of the line rate") }
            if let size = generator.size, !(64...9018).contains(size) { throw fail("\(at).size", "value out of range: 64...9018 bytes (FCS included)") }
            if let mix = generator.mix {
                let weights = FrameGenerator.Kind.allCases.map { mix.weight($0) }
                if let k = weights.firstIndex(where: { $0 < 0 || $0 > 1_000_000 }) {
                    throw fail("\(at).mix.\(FrameGenerator.Kind.allCases[k].rawValue)", "value out of range: a weight of 0...1000000")
                }
                guard weights.reduce(0, +) > 0 else { throw fail("\(at).mix", "every weight is 0: no frame can be drawn") }
            }
        }
    }

    func validatePlatform(_ model: ModelFile) throws {
        let platform = model.effectivePlatform
        let root = model.platform == nil ? "platform (default)" : "platform"
        if let mhz = platform.clockMHz, !(1...10_000).contains(mhz) { throw fail("\(root).clock_mhz", "value out of range: 1...10000 MHz") }
        if let page = platform.pageSize, page < 4096 || page & (page - 1) != 0 {
            throw fail("\(root).page_size", "\(page) is not a power of two of at least 4096")
        }
        guard !platform.rootPort.isEmpty else { throw fail("\(root).root_port", "at least one root port is required") }
        var namedAt: [String: String] = [:]
        func unique(_ name: String, _ path: String) throws {
            guard !name.isEmpty else { throw fail(path, "a name cannot be empty") }
            guard !name.contains(".") else { throw fail(path, "name '\(name)' contains a dot (dots separate levels in function names)") }
            if let first = namedAt[name] { throw fail(path, "name '\(name)' is already used at \(first)") }
            namedAt[name] = path
        }
        var uses: [String: String] = [:]
        func checkPorts(_ ports: [PortModel], _ path: String) throws {
            for (k, port) in ports.enumerated() {
                let at = "\(path)[\(k)]"
                try unique(port.name, "\(at).name")
                if let caps = port.acs { try acsBits(caps, path: "\(at).acs") }
                if let enable = port.acsEnable {
                    guard let caps = port.acs, enable & ~caps == 0 else { throw fail("\(at).acs_enable", "enables ACS controls the port does not have (acs = \(port.acs.map { "0x" + String($0, radix: 16) } ?? "none"))") }
                }
                if let link = port.link {
                    guard (1...1000).contains(link.latency) else {
                        throw fail("\(at).link.latency", "value out of range: 1...1000 clocks (config requests time out after 10,000)")
                    }
                    if let bw = link.bytesPerClock, !(1...65536).contains(bw) { throw fail("\(at).link.bytes_per_clock", "value out of range: 1...65536 bytes per clock") }
                }
                if let other = uses[port.below] { throw fail("\(at).below", "'\(port.below)' is already below \(other)") }
                uses[port.below] = port.name
            }
        }
        try checkPorts(platform.rootPort, "\(root).root_port")
        let switches = platform.switch ?? []
        for (k, sw) in switches.enumerated() {
            try unique(sw.name, "\(root).switch[\(k)].name")
            guard !sw.port.isEmpty, sw.port.count <= 32 else { throw fail("\(root).switch[\(k)].port", "a switch has 1...32 downstream ports") }
            try checkPorts(sw.port, "\(root).switch[\(k)].port")
        }
        for (k, device) in platform.device.enumerated() {
            try unique(device.name, "\(root).device[\(k)].name")
            // Above every PF's TotalVFs no PF can take it; above some PF's, that PF refuses VF
            // Enable in bring-up, which `prove` reports as a vacuous run.
            if let vfs = device.vfs, let total = model.device.pf.compactMap({ $0.sriov?.totalVFs }).max(), vfs > total {
                throw fail("\(root).device[\(k)].vfs", "NumVFs \(vfs) exceeds TotalVFs \(total)")
            }
        }
        let attachable = Set(switches.map(\.name) + platform.device.map(\.name))
        for (below, port) in uses where !attachable.contains(below) {
            throw fail(root, "port \(port) has '\(below)' below it, which is no switch or device")
        }
        for name in attachable.sorted() where uses[name] == nil {
            throw fail(root, "'\(name)' is below no port")
        }
        // Everything must hang from a root port: switches below each other in a loop do not.
        var reached = Set(platform.rootPort.map(\.below)), frontier = Array(reached)
        while let next = frontier.popLast() {
            for port in switches.first(where: { $0.name == next })?.port ?? [] where reached.insert(port.below).inserted {
                frontier.append(port.below)
            }
        }
        for name in attachable.sorted() where !reached.contains(name) {
            throw fail(root, "'\(name)' is not below any root port (switches below each other in a loop?)")
        }
        var guestMB = 0
        if let host = model.host {
            let checks: [(String, Int?, ClosedRange<Int>, String)] = [
                ("memory_mb", host.memoryMB, 64...65536, "64 ... 65536 MiB"), ("iotlb_entries", host.iotlbEntries, 1...4096, "1 ... 4096"),
                ("iotlb_ways", host.iotlbWays, 1...64, "1 ... 64"), ("fault_records", host.faultRecords, 1...256, "1 ... 256"),
            ]
            for (key, value, range, text) in checks where value.map({ !range.contains($0) }) ?? false {
                throw fail("host.\(key)", "value out of range: \(text)")
            }
            if (host.iotlbEntries ?? 64) % (host.iotlbWays ?? 4) != 0 {
                throw fail("host.iotlb_entries", "\(host.iotlbEntries ?? 64) entries do not divide into \(host.iotlbWays ?? 4) ways")
            }
        }
        var owner: [String: String] = [:]
        for (v, vm) in (model.vm ?? []).enumerated() {
            try unique(vm.name, "vm[\(v)].name")
            if let mb = vm.memoryMB, !(1...16384).contains(mb) { throw fail("vm[\(v)].memory_mb", "value out of range: 1 ... 16384 MiB") }
            guestMB += vm.memoryMB ?? 64
            if let host = model.host, host.iommu ?? true, guestMB > (host.memoryMB ?? 4096) - Platform.reservedHostMB {
                throw fail("vm[\(v)].memory_mb", "the VMs' memory (\(guestMB) MiB so far) exceeds the host's \((host.memoryMB ?? 4096) - Platform.reservedHostMB) MiB for guests")
            }
            for (f, function) in vm.functions.enumerated() {
                let at = "vm[\(v)].functions[\(f)]"
                guard FunctionName(function, model: model) != nil else {
                    throw fail(at, "'\(function)' is not a function of the platform (expected DEVICE.pfN or DEVICE.pfN.vfM with M below the device's NumVFs)")
                }
                if let other = owner[function] { throw fail(at, "'\(function)' is already assigned to \(other)") }
                owner[function] = vm.name
            }
        }
        let vms = model.vm ?? []
        for (v, vm) in vms.enumerated() {
            for (k, foreign) in (vm.mapForeign ?? []).enumerated() {
                let at = "vm[\(v)].map_foreign[\(k)]"
                guard let host = model.host, host.iommu ?? true else {
                    throw fail(at, "mapping pages needs the host's IOMMU: the model has no [host] with the IOMMU on")
                }
                let pages = (vm.memoryMB ?? 64) * 256
                guard (0..<pages).contains(foreign.guestPage) else { throw fail("\(at).guest_page", "\(vm.name) has guest pages 0...\(pages - 1)") }
                guard let other = vms.first(where: { $0.name == foreign.vm }) else {
                    throw fail("\(at).vm", "'\(foreign.vm)' is not a VM (expected one of: \(vms.map(\.name).joined(separator: ", ")))")
                }
                let otherPages = (other.memoryMB ?? 64) * 256
                guard (0..<otherPages).contains(foreign.page) else { throw fail("\(at).page", "\(other.name) has guest pages 0...\(otherPages - 1)") }
            }
            if vm.ats == true, !(model.host.map { $0.iommu ?? true } ?? false) {
                throw fail("vm[\(v)].ats", "ATS needs the host's IOMMU (device-TLB support): the model has no [host] with the IOMMU on")
            }
            if let forward = vm.forward, !VMModel.forwardModes.contains(forward) {
                throw fail("vm[\(v)].forward", "'\(forward)' is not a forwarding mode (expected one of: \(VMModel.forwardModes.joined(separator: ", ")))")
            }
            if let validation = vm.sourceValidation {
                let at = "vm[\(v)].source_validation"
                guard let host = model.host, host.iommu ?? true else {
                    throw fail(at, "interrupt entries need the host's IOMMU: the model has no [host] with the IOMMU on")
                }
                guard VMM.SourceValidation(rawValue: validation) != nil else {
                    throw fail(at, "'\(validation)' is not a source validation (expected one of: \(VMM.SourceValidation.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
            }
            for (k, mac) in (vm.mac ?? []).enumerated() {
                let at = "vm[\(v)].mac[\(k)]"
                guard vm.functions.contains(mac.function), FunctionName(mac.function, model: model)?.vf != nil else {
                    throw fail("\(at).function", "'\(mac.function)' is not one of \(vm.name)'s VFs (\(vm.functions.joined(separator: ", ")))")
                }
                guard let address = MACWords.parse(mac.address) else { throw fail("\(at).address", "'\(mac.address)' is not a MAC (six hex octets: 02:00:00:00:00:01)") }
                guard address >> 40 & 1 == 0 else { throw fail("\(at).address", "\(mac.address) is a group address; a VF's MAC is unicast") }
            }
            for (k, event) in (vm.events ?? []).enumerated() {
                let at = "vm[\(v)].events[\(k)]"
                guard let host = model.host, host.iommu ?? true else {
                    throw fail(at, "VMM events change IOMMU mappings: the model has no [host] with the IOMMU on")
                }
                let pages = (vm.memoryMB ?? 64) * 256
                guard (0..<pages).contains(event.unmap) else { throw fail("\(at).unmap", "\(vm.name) has guest pages 0...\(pages - 1)") }
                if let scope = event.invalidate, !VMMEventModel.invalidations.contains(scope) {
                    throw fail("\(at).invalidate", "'\(scope)' is not an invalidation (expected one of: \(VMMEventModel.invalidations.joined(separator: ", ")))")
                }
            }
        }
    }

    /// Each `[[traffic]]`: from a VF a VM has, to a VF on the same port or the wire, with the
    /// host whose VMs' drivers send it.
    func validateTraffic(_ model: ModelFile) throws {
        let owners = Dictionary((model.vm ?? []).flatMap { vm in vm.functions.map { ($0, vm.name) } }, uniquingKeysWith: { a, _ in a })
        for (t, traffic) in (model.traffic ?? []).enumerated() {
            let at = "traffic[\(t)]"
            guard model.device.nic != nil else { throw fail(at, "frames need a NIC: the model has no [device.nic]") }
            guard let host = model.host, host.iommu ?? true else { throw fail(at, "VMs send frames through their drivers, which need the host: the model has no [host] with the IOMMU on") }
            guard let from = FunctionName(traffic.from, model: model), from.vf != nil else {
                throw fail("\(at).from", "'\(traffic.from)' is not a VF of the platform (expected DEVICE.pfN.vfM)")
            }
            guard owners[traffic.from] != nil else {
                throw fail("\(at).from", "'\(traffic.from)' is not assigned to a VM (a [[vm]]'s functions), so no driver sends from it")
            }
            if traffic.to != "wire" {
                guard let to = FunctionName(traffic.to, model: model), to.vf != nil else {
                    throw fail("\(at).to", "'\(traffic.to)' is not a VF of the platform or 'wire' (expected DEVICE.pfN.vfM or wire)")
                }
                guard to.device == from.device, to.pf == from.pf, to != from else {
                    throw fail("\(at).to", "'\(traffic.to)' is not another VF on \(from.device).port\(from.pf), the port \(traffic.from) sends on")
                }
            }
            guard (0...10_000_000).contains(traffic.frames) else { throw fail("\(at).frames", "value out of range: 0...10000000 frames") }
            if let load = traffic.load, !(1...100).contains(load) { throw fail("\(at).load", "value out of range: 1...100 percent of the line rate") }
        }
    }

    /// ACS Capability bits 6:0 are SV, TB, RR, CR, UF, EC, DT (PCIe Base 4.0 §7.7.7.2); bit 7 is
    /// reserved and 15:8 is the Egress Control Vector Size, which the model does not set.
    func acsBits(_ value: UInt16, path: String) throws {
        let defined = UInt16((1 << ACSCapability.bitNames.count) - 1)
        guard value & ~defined == 0 else {
            throw fail(path, "0x\(String(value, radix: 16)) sets bits above 6; ACS capabilities are SV 0x01, TB 0x02, RR 0x04, CR 0x08, UF 0x10, EC 0x20, DT 0x40")
        }
    }

    /// Values of ATS Capability fields fit their field widths as the register table defines them.
    func atsFields(_ ats: ATSModel, path: String) throws {
        let register = ATSCapability(invalidateQueueDepth: 0, pageAlignedRequest: false).registers(at: 0x100, next: 0)
        let width = register.lazy.compactMap { $0.field("invalidateQueueDepth") }.first!.width
        guard Int(ats.invalidateQueueDepth) < 1 << width else {
            throw fail("\(path).invalidate_queue_depth", "value out of range: Invalidate Queue Depth is a \(width)-bit field, 0...\((1 << width) - 1) (0 means 32)")
        }
    }

    func powerOfTwo(_ size: UInt64, minimum: UInt64, path: String) throws {
        guard size != 0, size & (size - 1) == 0 else { throw fail(path, "\(size) (0x\(String(size, radix: 16))) is not a power of two") }
        guard size >= minimum else { throw fail(path, "\(size) bytes is below the minimum of \(minimum)") }
    }

    func validateBARs(_ bars: [BARModel], path: String) throws {
        var used: [Int: Int] = [:]
        for (k, bar) in bars.enumerated() {
            let at = "\(path)[\(k)]"
            guard (0...5).contains(bar.index) else { throw fail("\(at).index", "BAR index \(bar.index) outside 0...5") }
            let slots = bar.type == .memory64 ? 2 : 1
            guard bar.index + slots <= 6 else { throw fail("\(at).index", "a 64-bit BAR at index 5 has no room for its upper half") }
            for slot in bar.index..<(bar.index + slots) {
                if let other = used[slot] { throw fail("\(at).index", "BAR \(slot) is already taken by \(path)[\(other)]") }
                used[slot] = k
            }
            try powerOfTwo(bar.size, minimum: bar.type == .io ? 4 : 16, path: "\(at).size")
            if bar.type == .memory32 || bar.type == .io {
                guard bar.size <= 1 << 31 else { throw fail("\(at).size", "too large for a 32-bit BAR") }
            }
            if bar.type == .io && bar.prefetchable == true { throw fail("\(at).prefetchable", "an I/O BAR cannot be prefetchable") }
        }
    }

    /// MSI-X table (16 bytes per vector) and PBA (one bit per vector, in QWORDs) inside a memory
    /// BAR the function implements, and apart from each other (PCIe Base 4.0 §7.7.2).
    func validateMSIX(_ msix: MSIXModel, bars: [BARModel], path: String) throws {
        guard (1...2048).contains(msix.tableSize) else { throw fail("\(path).table_size", "value out of range: 1...2048 vectors") }
        let tableBytes = UInt64(msix.tableSize) * 16, pbaBytes = UInt64((msix.tableSize + 63) / 64) * 8
        var extents: [(key: String, bar: Int, start: UInt64, end: UInt64)] = []
        for (key, bir, offset, bytes) in [("table", msix.tableBAR, msix.tableOffset, tableBytes), ("pba", msix.pbaBAR, msix.pbaOffset, pbaBytes)] {
            guard (0...5).contains(bir) else { throw fail("\(path).\(key)_bar", "BAR indicator \(bir) outside 0...5") }
            guard offset & 7 == 0 else { throw fail("\(path).\(key)_offset", "must be 8-byte aligned") }
            guard let bar = bars.first(where: { $0.index == bir }) else {
                throw fail("\(path).\(key)_bar", "BAR \(bir) is not implemented (implemented: \(bars.isEmpty ? "none" : bars.map { String($0.index) }.joined(separator: ", ")))")
            }
            guard bar.type != .io else { throw fail("\(path).\(key)_bar", "BAR \(bir) is an I/O BAR; the MSI-X \(key) must be in memory space") }
            guard UInt64(offset) + bytes <= bar.size else {
                throw fail("\(path).\(key)_offset", "0x\(String(offset, radix: 16)) + \(bytes) bytes runs past the end of BAR \(bir) (\(bar.size) bytes)")
            }
            extents.append((key, bir, UInt64(offset), UInt64(offset) + bytes))
        }
        if extents[0].bar == extents[1].bar, extents[0].start < extents[1].end, extents[1].start < extents[0].end {
            throw fail("\(path).pba_offset", "the PBA [0x\(String(extents[1].start, radix: 16)), 0x\(String(extents[1].end, radix: 16))) overlaps the table [0x\(String(extents[0].start, radix: 16)), 0x\(String(extents[0].end, radix: 16))) in BAR \(extents[0].bar)")
        }
    }

    func validatePCIe(_ pcie: PCIeModel, path: String) throws {
        guard (1...5).contains(pcie.linkSpeed) else { throw fail("\(path).link_speed", "value out of range: 1 (2.5 GT/s) ... 5 (32 GT/s)") }
        guard [1, 2, 4, 8, 12, 16, 32].contains(pcie.linkWidth) else { throw fail("\(path).link_width", "not a PCIe link width (1, 2, 4, 8, 12, 16, 32)") }
        if let payload = pcie.maxPayload {
            guard [128, 256, 512, 1024, 2048, 4096].contains(payload) else { throw fail("\(path).max_payload", "not a payload size (128 ... 4096)") }
        }
    }

    /// Capabilities inside config space, aligned, not overlapping; errors at the capability's
    /// own `offset` key.
    func validateLayout(_ capabilities: [PlacedCapability], path: String, keys: [String: String]) throws {
        do {
            try CapabilityLayout.check(capabilities)
        } catch let error as CapabilityLayoutError {
            let key = keys[error.capability].map { "\(path).\($0).offset" } ?? path
            throw fail(key, "\(error.capability) capability \(error.message)")
        }
    }

    func validateSRIOV(_ sriov: SRIOVModel, path: String) throws {
        guard sriov.initialVFs <= sriov.totalVFs else {
            throw fail("\(path).initial_vfs", "InitialVFs (\(sriov.initialVFs)) exceeds TotalVFs (\(sriov.totalVFs))")
        }
        guard sriov.vfMigration == true || sriov.initialVFs == sriov.totalVFs else {
            throw fail("\(path).initial_vfs", "InitialVFs must equal TotalVFs unless VF Migration is supported (SR-IOV 1.1 §3.3.5)")
        }
        guard sriov.supportedPageSizes & 0x1 != 0 else { throw fail("\(path).supported_page_sizes", "4 KiB (bit 0) must be supported") }
        try validateBARs(sriov.vfBAR, path: "\(path).vf_bar")
        for (k, bar) in sriov.vfBAR.enumerated() {
            // SR-IOV 1.1 §3.3.14: VF BARs are memory BARs; each is TotalVFs apertures in a row.
            guard bar.type != .io else { throw fail("\(path).vf_bar[\(k)].type", "a VF BAR cannot be an I/O BAR (SR-IOV 1.1 §3.3.14): use \"mem32\" or \"mem64\"") }
            let (total, overflow) = bar.size.multipliedReportingOverflow(by: UInt64(max(sriov.totalVFs, 1)))
            let limit: UInt64 = bar.type == .memory32 ? 1 << 32 : 1 << 63
            guard !overflow, total <= limit else {
                throw fail("\(path).vf_bar[\(k)].size", "\(bar.size) bytes per VF x TotalVFs \(sriov.totalVFs) does not fit in \(bar.type == .memory32 ? "32-bit" : "64-bit") memory space")
            }
        }
        for (k, entry) in sriov.routing.enumerated() {
            if let range = entry.numVFs {
                guard range.count == 2, range[0] >= 1, range[0] <= range[1] else {
                    throw fail("\(path).routing[\(k)].num_vfs", "expected [low, high] with 1 <= low <= high")
                }
            }
            guard entry.vfStride != 0 || sriov.totalVFs <= 1 else { throw fail("\(path).routing[\(k)].vf_stride", "VF Stride 0 with more than one VF") }
            guard entry.firstVFOffset != 0 else { throw fail("\(path).routing[\(k)].first_vf_offset", "First VF Offset 0 would put VF 0 on the PF") }
        }
        let table = ModelDevice.routingTable(sriov)
        for ari in [true, false] {
            for n in 1...max(sriov.totalVFs, 1) where table.routing(numVFs: n, ari: ari) == nil {
                throw fail("\(path).routing", "no First VF Offset / VF Stride for NumVFs = \(n) with ARI Capable Hierarchy \(ari ? "set" : "clear")")
            }
        }
        try validateLayout(ModelDevice.vfCapabilities(of: sriov.vf), path: "\(path).vf", keys: ModelDevice.capabilityKeys(ofVF: sriov.vf))
        if let msix = sriov.vf.msix { try validateMSIX(msix, bars: sriov.vfBAR, path: "\(path).vf.msix") }
        if let pcie = sriov.vf.pcie { try validatePCIe(pcie, path: "\(path).vf.pcie") }
    }
}
