/// A Transaction Layer Packet, encoded to and decoded from its header DWs exactly as on the
/// wire (PCIe Base 4.0 §2.2; sriov-facts.md §4.6): memory read and write with 32- and 64-bit
/// addresses, configuration type 0 and 1, completions with and without data, messages.
public struct TLP: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, CaseIterable {
        case memoryRead = "MRd", memoryWrite = "MWr"
        case configRead0 = "CfgRd0", configWrite0 = "CfgWr0", configRead1 = "CfgRd1", configWrite1 = "CfgWr1"
        case completion = "Cpl", completionWithData = "CplD"
        case message = "Msg", messageWithData = "MsgD"

        /// The kind's place in `allCases`, for counters kept in arrays.
        public var index: Int {
            switch self {
            case .memoryRead: 0
            case .memoryWrite: 1
            case .configRead0: 2
            case .configWrite0: 3
            case .configRead1: 4
            case .configWrite1: 5
            case .completion: 6
            case .completionWithData: 7
            case .message: 8
            case .messageWithData: 9
            }
        }
    }

    /// Completion Status (§2.2.9).
    public enum CompletionStatus: UInt8, Sendable, Equatable {
        case successful = 0b000, unsupportedRequest = 0b001, configurationRetry = 0b010, completerAbort = 0b100
        public var label: String {
            switch self {
            case .successful: "SC"
            case .unsupportedRequest: "UR"
            case .configurationRetry: "CRS"
            case .completerAbort: "CA"
            }
        }
    }

    public var kind: Kind
    /// Requester ID (requests) or the requester a completion returns to.
    public var requesterID: UInt16
    public var tag: UInt8
    /// Payload length in DWs (1...1024; 0 on the wire means 1024).
    public var length: Int
    public var firstBE: UInt8
    public var lastBE: UInt8
    /// Memory requests: the address (bits 1:0 zero). A 4-DW header when above 4 GiB.
    public var address: UInt64
    /// Address Type: 0 untranslated, 1 translation request, 2 translated (ATS).
    public var addressType: UInt8
    /// Config requests: the target routing ID. Completions: the completer ID.
    public var targetID: UInt16
    /// Config requests: the byte offset of the DW (register number << 2).
    public var register: Int
    public var status: CompletionStatus
    public var byteCount: Int
    public var lowerAddress: UInt8
    /// Messages: routing subfield r[2:0] and message code.
    public var messageRouting: UInt8
    public var messageCode: UInt8
    public var payload: [UInt32]

    public init(kind: Kind, requesterID: UInt16, tag: UInt8 = 0, length: Int = 1, firstBE: UInt8 = 0xF, lastBE: UInt8 = 0,
                address: UInt64 = 0, addressType: UInt8 = 0, targetID: UInt16 = 0, register: Int = 0,
                status: CompletionStatus = .successful, byteCount: Int = 4, lowerAddress: UInt8 = 0,
                messageRouting: UInt8 = 0, messageCode: UInt8 = 0, payload: [UInt32] = []) {
        self.kind = kind
        self.requesterID = requesterID
        self.tag = tag
        self.length = length
        self.firstBE = firstBE
        self.lastBE = lastBE
        self.address = address
        self.addressType = addressType
        self.targetID = targetID
        self.register = register
        self.status = status
        self.byteCount = byteCount
        self.lowerAddress = lowerAddress
        self.messageRouting = messageRouting
        self.messageCode = messageCode
        self.payload = payload
    }

    public var isPosted: Bool { kind == .memoryWrite || kind == .message || kind == .messageWithData }
    public var isCompletion: Bool { kind == .completion || kind == .completionWithData }
    /// Message routing 010: by the target ID (PCIe Base 4.0 Table 2-18).
    public static let routedByID: UInt8 = 0b010
    /// ATS messages (ATS 1.1 §2.3, §3): Invalidate Request (MsgD, the untranslated address and
    /// S in its 8-byte payload) and Invalidation Completion (Msg), both routed by ID.
    public static let invalidateRequest: UInt8 = 0x01, invalidationCompletion: UInt8 = 0x02
    /// The pages an invalidation names, in the form ATS Invalidate Requests (ATS 1.1 §3.1.2)
    /// and VT-d's device-TLB descriptors (§6.5.2.5) share: without S one page; with S a
    /// power-of-two range whose size the lowest clear address bit from bit 12 up gives (bit k
    /// clear: 2^(k-11) pages), aligned to it.
    public static func invalidationRange(address: UInt64, size: Bool) -> (page: UInt64, pages: UInt64) {
        let pages: UInt64 = size ? UInt64(1) << UInt64((~(address >> 12)).trailingZeroBitCount + 1) : 1
        return ((address >> 12) & ~(pages - 1), pages)
    }

    /// An ATS Invalidate Request from the root complex to `function` for `pages` pages from
    /// `page` (a power of two, `page` aligned to it): MsgD routed by ID, the address and S in
    /// its 8-byte payload.
    public static func invalidateRequest(to function: UInt16, page: UInt64, pages: UInt64) -> TLP {
        let address = page << 12 | (pages > 1 ? (pages / 2 - 1) << 12 | 1 << 11 : 0)
        return TLP(kind: .messageWithData, requesterID: 0, length: 2, targetID: function, messageRouting: routedByID, messageCode: invalidateRequest,
                   payload: [UInt32(truncatingIfNeeded: address), UInt32(address >> 32)])
    }

    /// The Address Type in words for logs (ATS 1.1 §2.1): 01 a Translation Request, 10 a
    /// translated request; nil for an untranslated one.
    public var addressTypeLabel: String? {
        switch addressType {
        case 0: nil
        case 1: "translation-request"
        case 2: "translated"
        default: "reserved"
        }
    }

    /// A message routed by ID.
    public var isIDRoutedMessage: Bool { (kind == .message || kind == .messageWithData) && messageRouting == Self.routedByID }
    public var isConfig: Bool {
        switch kind {
        case .configRead0, .configWrite0, .configRead1, .configWrite1: true
        default: false
        }
    }
    public var isRequest: Bool { !isCompletion }
    public var hasData: Bool {
        switch kind {
        case .memoryWrite, .configWrite0, .configWrite1, .completionWithData, .messageWithData: true
        default: false
        }
    }
    /// 4-DW header: memory requests above 4 GiB and messages.
    public var fourDWHeader: Bool {
        switch kind {
        case .memoryRead, .memoryWrite: address > 0xFFFF_FFFF
        case .message, .messageWithData: true
        default: false
        }
    }

    /// Bytes on the wire: header plus payload (framing and LCRC not counted).
    public var wireBytes: Int { (fourDWHeader ? 16 : 12) + (hasData ? 4 * length : 0) }

    /// The byte enables of dword `k` of a `length`-dword request: First DW BE, Last DW BE, all
    /// four between (PCIe Base 4.0 §2.2.5).
    @inline(__always)
    public static func byteEnables(dw k: Int, of length: Int, firstBE: UInt8, lastBE: UInt8) -> UInt8 {
        k == 0 ? firstBE : k == length - 1 ? lastBE : 0xF
    }

    /// Fmt[2:0] and Type[4:0] of DW0 byte 3.
    public var fmtType: UInt32 {
        let fmt: UInt32 = (hasData ? 0b010 : 0b000) | (fourDWHeader ? 0b001 : 0)
        let type: UInt32 = switch kind {
        case .memoryRead, .memoryWrite: 0b00000
        case .configRead0, .configWrite0: 0b00100
        case .configRead1, .configWrite1: 0b00101
        case .completion, .completionWithData: 0b01010
        case .message, .messageWithData: 0b10000 | UInt32(messageRouting & 7)
        }
        return fmt << 5 | type
    }

    /// Header DWs followed by the payload.
    public func encode() -> [UInt32] {
        let lengthField = UInt32(length == 1024 ? 0 : length & 0x3FF)
        let dw0 = fmtType << 24 | UInt32(addressType & 3) << 10 | lengthField
        var dws = [dw0]
        if isCompletion {
            let count = UInt32(byteCount == 4096 ? 0 : byteCount & 0xFFF)
            dws.append(UInt32(targetID) << 16 | UInt32(status.rawValue) << 13 | count)
            dws.append(UInt32(requesterID) << 16 | UInt32(tag) << 8 | UInt32(lowerAddress & 0x7F))
        } else {
            let be = isConfig || kind == .memoryRead || kind == .memoryWrite ? UInt32(lastBE & 0xF) << 4 | UInt32(firstBE & 0xF) : UInt32(messageCode)
            dws.append(UInt32(requesterID) << 16 | UInt32(tag) << 8 | be)
            switch kind {
            case .configRead0, .configWrite0, .configRead1, .configWrite1:
                dws.append(UInt32(targetID) << 16 | UInt32(register & 0xFFC))
            case .memoryRead, .memoryWrite:
                if fourDWHeader {
                    dws.append(UInt32(truncatingIfNeeded: address >> 32))
                }
                dws.append(UInt32(truncatingIfNeeded: address) & ~3)
            default:
                // A message routed by ID carries its target in bytes 8-9 (PCIe Base 4.0 §2.2.8).
                dws.append(messageRouting == Self.routedByID ? UInt32(targetID) << 16 : UInt32(truncatingIfNeeded: address >> 32))
                dws.append(UInt32(truncatingIfNeeded: address))
            }
        }
        return dws + (hasData ? payload : [])
    }

    /// Why a sequence of DWs is not a TLP we accept.
    public enum DecodeError: Error, Sendable, Equatable {
        case empty
        case unsupportedFmtType(UInt8)
        case truncated(expected: Int, got: Int)
        case malformed(String)
    }

    /// Decodes header DWs (and payload). Anything that is not a well-formed TLP of the kinds
    /// above is an error, never a crash: the receiver answers UR or drops it (§2.3).
    public static func decode(_ dws: [UInt32]) -> Result<TLP, DecodeError> {
        guard let dw0 = dws.first else { return .failure(.empty) }
        let fmtType = UInt8(dw0 >> 24)
        let fmt = fmtType >> 5, type = fmtType & 0x1F
        let hasData = fmt & 0b010 != 0, four = fmt & 0b001 != 0
        guard fmt <= 0b011 else { return .failure(.unsupportedFmtType(fmtType)) }
        let kind: Kind
        switch (type, hasData) {
        case (0b00000, false): kind = .memoryRead
        case (0b00000, true): kind = .memoryWrite
        case (0b00100, false): kind = .configRead0
        case (0b00100, true): kind = .configWrite0
        case (0b00101, false): kind = .configRead1
        case (0b00101, true): kind = .configWrite1
        case (0b01010, false): kind = .completion
        case (0b01010, true): kind = .completionWithData
        case (let t, false) where t & 0b11000 == 0b10000: kind = .message
        case (let t, true) where t & 0b11000 == 0b10000: kind = .messageWithData
        default: return .failure(.unsupportedFmtType(fmtType))
        }
        let lengthField = Int(dw0 & 0x3FF)
        // 0 means 1024 DWs, except in a message without data, where Length is reserved (0).
        let length = lengthField == 0 ? (kind == .message ? 0 : 1024) : lengthField
        let headerDWs = four ? 4 : 3
        let total = headerDWs + (hasData ? length : 0)
        guard dws.count >= headerDWs else { return .failure(.truncated(expected: headerDWs, got: dws.count)) }
        guard dws.count == total else { return .failure(.truncated(expected: total, got: dws.count)) }
        var tlp = TLP(kind: kind, requesterID: 0, length: length)
        tlp.addressType = UInt8((dw0 >> 10) & 3)
        let dw1 = dws[1], dw2 = dws[2]
        switch kind {
        case .completion, .completionWithData:
            guard !four else { return .failure(.malformed("completion with a 4-DW header")) }
            tlp.targetID = UInt16(dw1 >> 16)
            guard let status = CompletionStatus(rawValue: UInt8((dw1 >> 13) & 7)) else {
                return .failure(.malformed("reserved completion status \((dw1 >> 13) & 7)"))
            }
            tlp.status = status
            let count = Int(dw1 & 0xFFF)
            tlp.byteCount = count == 0 ? 4096 : count
            tlp.requesterID = UInt16(dw2 >> 16)
            tlp.tag = UInt8((dw2 >> 8) & 0xFF)
            tlp.lowerAddress = UInt8(dw2 & 0x7F)
        case .configRead0, .configWrite0, .configRead1, .configWrite1:
            guard !four else { return .failure(.malformed("configuration request with a 4-DW header")) }
            guard length == 1 else { return .failure(.malformed("configuration request of \(length) DWs")) }
            tlp.requesterID = UInt16(dw1 >> 16)
            tlp.tag = UInt8((dw1 >> 8) & 0xFF)
            tlp.firstBE = UInt8(dw1 & 0xF)
            tlp.lastBE = UInt8((dw1 >> 4) & 0xF)
            guard tlp.lastBE == 0 else { return .failure(.malformed("configuration request with Last BE set")) }
            tlp.targetID = UInt16(dw2 >> 16)
            tlp.register = Int(dw2 & 0xFFC)
        case .memoryRead, .memoryWrite:
            tlp.requesterID = UInt16(dw1 >> 16)
            tlp.tag = UInt8((dw1 >> 8) & 0xFF)
            tlp.firstBE = UInt8(dw1 & 0xF)
            tlp.lastBE = UInt8((dw1 >> 4) & 0xF)
            if length == 1 && tlp.lastBE != 0 { return .failure(.malformed("1-DW request with Last BE set")) }
            if four {
                tlp.address = UInt64(dw2) << 32 | UInt64(dws[3] & ~3)
                if dw2 == 0 { return .failure(.malformed("4-DW header for an address below 4 GiB")) }
            } else {
                tlp.address = UInt64(dw2 & ~3)
            }
            if (tlp.address & 0xFFF) + UInt64(4 * length) > 0x1000 { return .failure(.malformed("request crosses a 4 KiB boundary")) }
        case .message, .messageWithData:
            guard four else { return .failure(.malformed("message with a 3-DW header")) }
            tlp.requesterID = UInt16(dw1 >> 16)
            tlp.tag = UInt8((dw1 >> 8) & 0xFF)
            tlp.messageCode = UInt8(dw1 & 0xFF)
            tlp.messageRouting = type & 7
            if tlp.messageRouting == Self.routedByID {
                tlp.targetID = UInt16(dw2 >> 16)
                tlp.address = UInt64(dws[3])
            } else {
                tlp.address = UInt64(dw2) << 32 | UInt64(dws[3])
            }
        }
        tlp.payload = hasData ? Array(dws[headerDWs...]) : []
        return .success(tlp)
    }

    public var description: String {
        var s = "\(kind.rawValue) req=\(BDF(requesterID)) tag=\(tag)"
        if isConfig { s += " target=\(BDF(targetID)) reg=0x\(String(register, radix: 16))" }
        if kind == .memoryRead || kind == .memoryWrite {
            s += " addr=0x\(String(address, radix: 16)) len=\(length)"
            if let label = addressTypeLabel { s += " AT=\(label)" }
        }
        if isCompletion { s += " cpl=\(BDF(targetID)) \(status.label) bytes=\(byteCount)" }
        if kind == .message || kind == .messageWithData {
            s += " code=0x\(String(messageCode, radix: 16))" + (messageRouting == Self.routedByID ? " target=\(BDF(targetID))" : "")
            if kind == .messageWithData, payload.count == 2 { s += " addr=0x\(String(UInt64(payload[1]) << 32 | UInt64(payload[0]), radix: 16))" }
        }
        return s
    }
}
