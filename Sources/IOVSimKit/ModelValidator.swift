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
            try validateBARs(pf.bar ?? [], path: "\(path).bar")
            if let size = pf.expansionROMSize { try powerOfTwo(size, minimum: 2048, path: "\(path).expansion_rom_size") }
            if let msix = pf.msix { try validateMSIX(msix, bars: pf.bar ?? [], path: "\(path).msix") }
            if let pcie = pf.pcie { try validatePCIe(pcie, path: "\(path).pcie") }
            try validateLayout(ModelDevice.capabilities(of: pf), path: path, keys: ModelDevice.capabilityKeys(of: pf))
            if let sriov = pf.sriov { try validateSRIOV(sriov, path: "\(path).sriov") }
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

    func validateMSIX(_ msix: MSIXModel, bars: [BARModel], path: String) throws {
        guard (1...2048).contains(msix.tableSize) else { throw fail("\(path).table_size", "value out of range: 1...2048 vectors") }
        for (key, bir, offset) in [("table", msix.tableBAR, msix.tableOffset), ("pba", msix.pbaBAR, msix.pbaOffset)] {
            guard (0...5).contains(bir) else { throw fail("\(path).\(key)_bar", "BAR indicator \(bir) outside 0...5") }
            guard offset & 7 == 0 else { throw fail("\(path).\(key)_offset", "must be 8-byte aligned") }
            if !bars.isEmpty, let bar = bars.first(where: { $0.index == bir }) {
                guard UInt64(offset) < bar.size else { throw fail("\(path).\(key)_offset", "0x\(String(offset, radix: 16)) is past the end of BAR \(bir) (\(bar.size) bytes)") }
            }
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
