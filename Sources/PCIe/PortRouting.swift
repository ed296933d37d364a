import RTL

/// What one downstream port (a root port or a switch downstream port, a Type 1 function)
/// decodes below it, and its ACS controls (PCI-to-PCI Bridge 1.2 §4; PCIe Base 4.0 §7.7.7).
public struct DownstreamPort<A: BitVectorAlgebra> {
    public var secondaryBus: Bits<A, 8>
    public var subordinateBus: Bits<A, 8>
    /// Memory window, inclusive byte addresses; base > limit decodes nothing.
    public var memoryBase: Bits<A, 64>
    public var memoryLimit: Bits<A, 64>
    public var prefetchableBase: Bits<A, 64>
    public var prefetchableLimit: Bits<A, 64>
    /// Device Control 2 ARI Forwarding Enable: without it only Device 0 below is reachable.
    public var ariForwarding: Bit<A>
    /// ACS Control bits 6:0: SV, TB, RR, CR, UF, EC, DT.
    public var acsControl: Bits<A, 16>

    public init(secondaryBus: Bits<A, 8>, subordinateBus: Bits<A, 8>, memoryBase: Bits<A, 64>, memoryLimit: Bits<A, 64>,
                prefetchableBase: Bits<A, 64>, prefetchableLimit: Bits<A, 64>, ariForwarding: Bit<A>, acsControl: Bits<A, 16>) {
        self.secondaryBus = secondaryBus
        self.subordinateBus = subordinateBus
        self.memoryBase = memoryBase
        self.memoryLimit = memoryLimit
        self.prefetchableBase = prefetchableBase
        self.prefetchableLimit = prefetchableLimit
        self.ariForwarding = ariForwarding
        self.acsControl = acsControl
    }
}

/// The routing fields of a TLP: what a port looks at.
public struct RouteFields<A: BitVectorAlgebra> {
    /// ID-routed (configuration requests, completions) rather than address-routed.
    public var idRouted: Bit<A>
    public var isCompletion: Bit<A>
    public var isConfig: Bit<A>
    /// Config target / completion's requester (ID routing).
    public var targetID: Bits<A, 16>
    public var address: Bits<A, 64>
    public var requesterID: Bits<A, 16>
    /// AT: 0 untranslated, 1 translation request, 2 translated.
    public var addressType: Bits<A, 2>

    public init(idRouted: Bit<A>, isCompletion: Bit<A>, isConfig: Bit<A>, targetID: Bits<A, 16>, address: Bits<A, 64>,
                requesterID: Bits<A, 16>, addressType: Bits<A, 2>) {
        self.idRouted = idRouted
        self.isCompletion = isCompletion
        self.isConfig = isConfig
        self.targetID = targetID
        self.address = address
        self.requesterID = requesterID
        self.addressType = addressType
    }
}

/// The routing decision of a switch or of a root complex's root ports: ONE generic function of
/// (TLP fields, port configuration), run by the simulator on every TLP and by the prover on
/// symbolic TLPs (DESIGN.md §1, §5 "peer-to-peer").
///
/// Ingress and egress are port numbers: 0 is the upstream side (a switch's upstream port, or a
/// root complex's core with host memory and the IOMMU), k + 1 is downstream port k.
/// Results above the ports: `unsupportedRequest`, `acsViolation`.
public enum PortRouting {
    public static let upstream: UInt64 = 0
    public static let unsupportedRequest: UInt64 = 0xFE
    public static let acsViolation: UInt64 = 0xFF

    /// ACS Control bit positions (PCIe Base 4.0 §7.7.7.3).
    public static let sourceValidation = 0, translationBlocking = 1, requestRedirect = 2, completionRedirect = 3
    public static let upstreamForwarding = 4, egressControl = 5, directTranslated = 6


    /// Does downstream port `port` claim this TLP (bus range or memory windows)?
    @inlinable
    public static func claims<A>(_ tlp: RouteFields<A>, _ port: DownstreamPort<A>) -> Bit<A> {
        let bus: Bits<A, 8> = tlp.targetID.extract(from: 8)
        // Bus 0 is the root bus: a port whose secondary bus is 0 has not been numbered yet and
        // claims nothing by ID.
        let byID = (port.secondaryBus .!= 0) & (bus .>= port.secondaryBus) & (bus .<= port.subordinateBus)
        let inMemory = (tlp.address .>= port.memoryBase) & (tlp.address .<= port.memoryLimit)
        let inPrefetchable = (tlp.address .>= port.prefetchableBase) & (tlp.address .<= port.prefetchableLimit)
        return mux(tlp.idRouted, byID, inMemory | inPrefetchable)
    }

    /// A configuration request the port claims but cannot deliver: it would become Type 0 on
    /// the secondary bus for a device other than 0 without ARI Forwarding (PCIe Base 4.0 §7.5.3.16).
    @inlinable
    public static func unreachable<A>(_ tlp: RouteFields<A>, _ port: DownstreamPort<A>) -> Bit<A> {
        let bus: Bits<A, 8> = tlp.targetID.extract(from: 8)
        let device: Bits<A, 5> = tlp.targetID.extract(from: 3)
        return tlp.isConfig & (bus .== port.secondaryBus) & ~port.ariForwarding & (device .!= 0)
    }

    /// Where the TLP goes from `ingress`.
    @inlinable
    public static func route<A>(_ tlp: RouteFields<A>, ingress: Bits<A, 8>, ports: [DownstreamPort<A>],
                                hooks: RoutingHooks = RoutingHooks()) -> Bits<A, 8> {
        let up: Bits<A, 8> = Bits(upstream), ur: Bits<A, 8> = Bits(unsupportedRequest), blocked: Bits<A, 8> = Bits(acsViolation)

        // Downward from the upstream side: the first port that claims it, else UR.
        var downward = ur
        for k in ports.indices.reversed() {
            let port = ports[k]
            let target = mux(unreachable(tlp, port), ur, Bits<A, 8>(UInt64(k + 1)))
            downward = mux(claims(tlp, port), target, downward)
        }

        // From downstream port i: ACS checks at the ingress port, then peer, self or upstream.
        var fromBelow = up
        for (i, ingressPort) in ports.enumerated() {
            let acs = ingressPort.acsControl
            let requesterBus: Bits<A, 8> = tlp.requesterID.extract(from: 8)
            let isRequest = ~tlp.isCompletion
            let badSource = acs[bit: sourceValidation] & isRequest
                & ((requesterBus .< ingressPort.secondaryBus) | (requesterBus .> ingressPort.subordinateBus))
            let translated = tlp.addressType .!= 0
            let blockTranslated = acs[bit: translationBlocking] & isRequest & translated
            let rr = hooks.ignoreRequestRedirect ? Bit<A>(false) : acs[bit: requestRedirect]
            let direct = acs[bit: directTranslated] & (tlp.addressType .== 2)
            let redirect = (isRequest & ~tlp.idRouted & rr & ~direct) | (tlp.isCompletion & acs[bit: completionRedirect])
            var decision = up
            for k in ports.indices.reversed() {
                let port = ports[k]
                let peer = mux(unreachable(tlp, port), ur, mux(redirect, up, Bits<A, 8>(UInt64(k + 1))))
                let selfTarget = mux(acs[bit: upstreamForwarding], up, ur)
                decision = mux(claims(tlp, port), k == i ? selfTarget : peer, decision)
            }
            decision = mux(badSource | blockTranslated, blocked, decision)
            fromBelow = mux(ingress .== Bits<A, 8>(UInt64(i + 1)), decision, fromBelow)
        }
        return mux(ingress .== 0, downward, fromBelow)
    }
}

/// Test-only changes to the routing logic, passed explicitly so a test can show that the
/// proofs run on this very code (a mutated line must turn a proof violated). Normal runs use
/// the default, which changes nothing.
public struct RoutingHooks: Sendable, Equatable {
    /// Behave as if P2P Request Redirect were never enabled.
    public var ignoreRequestRedirect: Bool
    public init(ignoreRequestRedirect: Bool = false) { self.ignoreRequestRedirect = ignoreRequestRedirect }
}
