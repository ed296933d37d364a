/// Link training as far as software sees it (PCIe Base 4.0 §4.2.6, §7.5.3.8): both ends of a
/// link come up at the highest speed and the widest width that both support, and each reports
/// that in its Link Status (Current Link Speed, Negotiated Link Width).
public enum LinkTraining {
    /// What the two ends' Link Capabilities give; nil when either has no PCI Express capability.
    public static func negotiate(_ a: ConfigSpace, _ b: ConfigSpace) -> (speed: UInt32, width: UInt32)? {
        guard let speedA = a.value(of: "maxLinkSpeed", in: "Link Capabilities"), let speedB = b.value(of: "maxLinkSpeed", in: "Link Capabilities"),
              let widthA = a.value(of: "maximumLinkWidth", in: "Link Capabilities"),
              let widthB = b.value(of: "maximumLinkWidth", in: "Link Capabilities") else { return nil }
        return (min(speedA, speedB), min(widthA, widthB))
    }

    /// Writes the trained link into one end's Link Status.
    public static func apply(_ link: (speed: UInt32, width: UInt32), to config: inout ConfigSpace) {
        config.set("currentLinkSpeed", in: "Link Status", to: link.speed)
        config.set("negotiatedLinkWidth", in: "Link Status", to: link.width)
    }
}

extension FabricNode {
    /// Trains the link below downstream port `k` with `peer`, the config space of the function
    /// at the other end (the device's function 0 or a switch's upstream port); returns what
    /// the link came up at, for the other end to report too.
    public func trainLink(port k: Int, peer: ConfigSpace) -> (speed: UInt32, width: UInt32)? {
        guard let link = LinkTraining.negotiate(ports[k].config, peer) else { return nil }
        LinkTraining.apply(link, to: &ports[k].config)
        return link
    }

    /// Reports a trained link in the upstream port's Link Status (switches).
    public func reportUpstreamLink(_ link: (speed: UInt32, width: UInt32)) {
        guard upstreamPort != nil else { return }
        LinkTraining.apply(link, to: &upstreamPort!.config)
    }
}
