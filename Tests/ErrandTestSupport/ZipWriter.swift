import Foundation

/// Writes zip files byte by byte (stored, or deflate bytes the caller gives), so tests can build exactly the archives a hostile
/// uploader would: `../` names, absolute names, device entries, links that escape, duplicates. Shared by the
/// test targets through the ErrandTestSupport target.
public struct ZipWriter {
    public struct Item {
        public var name: String
        public var data: Data
        /// Full Unix mode, type bits included (0o100644 file, 0o040755 folder, 0o120777 link, 0o020644 device).
        public var mode: UInt32
        /// Raw deflate bytes written instead of `data` (compression method 8), or `nil` to store `data`.
        public var deflated: Data? = nil
    }

    public var items: [Item] = []

    public init() {}

    public mutating func file(_ name: String, _ text: String, mode: UInt32 = 0o100644) {
        items.append(Item(name: name, data: Data(text.utf8), mode: mode))
    }

    public mutating func folder(_ name: String) {
        items.append(Item(name: name.hasSuffix("/") ? name : name + "/", data: Data(), mode: 0o040755))
    }

    public mutating func link(_ name: String, to target: String) {
        items.append(Item(name: name, data: Data(target.utf8), mode: 0o120777))
    }

    /// A link whose target is written deflated, as python's zipfile does: `compressed` is the raw deflate stream
    /// of `target` (the caller makes it, or damages it on purpose).
    public mutating func deflatedLink(_ name: String, to target: String, compressed: Data) {
        items.append(Item(name: name, data: Data(target.utf8), mode: 0o120777, deflated: compressed))
    }

    /// A file whose content is written as the raw deflate stream `compressed` (the caller makes it, or forges it).
    public mutating func deflatedFile(_ name: String, _ text: String, compressed: Data, mode: UInt32 = 0o100644) {
        items.append(Item(name: name, data: Data(text.utf8), mode: mode, deflated: compressed))
    }

    public mutating func device(_ name: String) {
        items.append(Item(name: name, data: Data(), mode: 0o020644))
    }

    public func data() -> Data {
        var out = Data()
        var central = Data()
        for item in items {
            let offset = UInt32(out.count)
            let name = Data(item.name.utf8)
            let crc = CRC32.checksum(item.data)
            let written = item.deflated ?? item.data
            let method: UInt16 = item.deflated == nil ? 0 : 8
            out.le32(0x0403_4b50)
            out.le16(method == 8 ? 20 : 10)
            out.le16(0x0800)
            out.le16(method)
            out.le16(0)
            out.le16(0x21)
            out.le32(crc)
            out.le32(UInt32(written.count))
            out.le32(UInt32(item.data.count))
            out.le16(UInt16(name.count))
            out.le16(0)
            out.append(name)
            out.append(written)
            central.le32(0x0201_4b50)
            central.le16(0x031E)
            central.le16(method == 8 ? 20 : 10)
            central.le16(0x0800)
            central.le16(method)
            central.le16(0)
            central.le16(0x21)
            central.le32(crc)
            central.le32(UInt32(written.count))
            central.le32(UInt32(item.data.count))
            central.le16(UInt16(name.count))
            central.le16(0)
            central.le16(0)
            central.le16(0)
            central.le16(0)
            central.le32(item.mode << 16)
            central.le32(offset)
            central.append(name)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        out.le32(0x0605_4b50)
        out.le16(0)
        out.le16(0)
        out.le16(UInt16(items.count))
        out.le16(UInt16(items.count))
        out.le32(UInt32(central.count))
        out.le32(centralOffset)
        out.le16(0)
        return out
    }

    public func write(to url: URL) throws {
        try data().write(to: url)
    }
}

/// CRC-32 (IEEE), for the test zips.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ data: Data) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for byte in data { c = table[Int((c ^ UInt32(byte)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// Little-endian appends, as zip records are written (also for tests that craft records by hand).
extension Data {
    public mutating func le16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    public mutating func le32(_ value: UInt32) {
        le16(UInt16(value & 0xFFFF))
        le16(UInt16(value >> 16))
    }

    public mutating func le64(_ value: UInt64) {
        le32(UInt32(value & 0xFFFF_FFFF))
        le32(UInt32(value >> 32))
    }
}
