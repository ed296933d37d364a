import Foundation

/// Reference formulas from Linux, restated independently of IOVSim's code so tests can compare
/// the two. Test-only.
/// drivers/pci/iov.c:
/// pci_iov_virtfn_bus  = pf->bus->number + ((pf->devfn + offset + stride * id) >> 8)
/// pci_iov_virtfn_devfn = (pf->devfn + offset + stride * id) & 0xff
public enum Linux {
    public static func virtfnBus(pfBus: Int, pfDevfn: Int, offset: Int, stride: Int, id: Int) -> Int {
        pfBus + ((pfDevfn + offset + stride * id) >> 8)
    }
    public static func virtfnDevfn(pfDevfn: Int, offset: Int, stride: Int, id: Int) -> Int {
        (pfDevfn + offset + stride * id) & 0xff
    }
    /// "bb:dd.f" as lspci prints it: PCI_SLOT = devfn >> 3, PCI_FUNC = devfn & 7.
    public static func name(bus: Int, devfn: Int) -> String {
        String(format: "%02x:%02x.%d", bus, devfn >> 3, devfn & 7)
    }
}

