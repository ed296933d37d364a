import RTL

// The configured filters and transmit settings as constants of another algebra: what the
// prover runs the sorter and the switch on, the frame left symbolic.

extension FilterTables where A == Concrete {
    public func lifted<B: BitVectorAlgebra>(to _: B.Type = B.self) -> FilterTables<B> {
        FilterTables<B>(
            receiveAddresses: receiveAddresses.map { .init(address: $0.address.lifted(), valid: $0.valid.lifted(), pools: $0.pools.lifted()) },
            multicastTable: multicastTable.map { $0.lifted() }, unicastTable: unicastTable.map { $0.lifted() }, multicastOffset: multicastOffset.lifted(),
            vlanFilterEnable: vlanFilterEnable.lifted(),
            vlanFilters: vlanFilters.map { .init(vlanID: $0.vlanID.lifted(), valid: $0.valid.lifted(), pools: $0.pools.lifted()) },
            acceptUntagged: acceptUntagged.lifted(), acceptHashedMulticast: acceptHashedMulticast.lifted(), acceptHashedUnicast: acceptHashedUnicast.lifted(),
            acceptBroadcast: acceptBroadcast.lifted(), multicastPromiscuous: multicastPromiscuous.lifted(), poolLongPacketEnable: poolLongPacketEnable.lifted(),
            poolMaxLength: poolMaxLength.map { $0.lifted() }, defaultPool: defaultPool.lifted(), disableDefaultPool: disableDefaultPool.lifted(),
            receiveEnable: receiveEnable.lifted(), longPacketEnable: longPacketEnable.lifted(), maxLength: maxLength.lifted())
    }
}

extension TransmitSwitch.Settings where A == Concrete {
    public func lifted<B: BitVectorAlgebra>(to _: B.Type = B.self) -> TransmitSwitch.Settings<B> {
        .init(transmitEnable: transmitEnable.lifted(), macAntiSpoof: macAntiSpoof.lifted(), vlanAntiSpoof: vlanAntiSpoof.lifted(),
              loopbackEnable: loopbackEnable.lifted(), vlanInsert: vlanInsert.map { $0.lifted() })
    }
}
