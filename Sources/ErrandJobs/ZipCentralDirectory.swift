import Foundation

/// The fields of a zip's central directory that ZIPFoundation does not make public (the Unix file type, the
/// encryption flag and the compression method of each entry, in central-directory order, the order `Archive`
/// iterates in), read and checked before ZIPFoundation sees the file.
///
/// Needed to refuse device files and FIFOs, which ZIPFoundation would quietly turn into regular files, and
/// encrypted entries, which it cannot read. It is also the guard in front of ZIPFoundation: every offset, size and
/// count is checked with overflow-checked arithmetic against the file's real size, because ZIPFoundation adds and
/// converts them unchecked (`off_t(offset)`, `offset + size`) and would trap, killing the daemon, on a hostile
/// ZIP64 value such as 2^64 - 256. The end records are found exactly where ZIPFoundation looks for them, so both
/// read the same directory.
struct ZipCentralDirectory {
    struct Record {
        /// `S_IFMT` bits of the entry's Unix mode, or `nil` when the zip was not made on Unix or macOS.
        var fileType: UInt32?
        var isEncrypted: Bool
        var path: String
        /// 0 stored, 8 deflated; anything else ZIPFoundation cannot read.
        var compressionMethod: UInt16
        /// Bytes of the entry's data in the archive (ZIP64 value when there is one).
        var compressedSize: UInt64
        /// Where the entry's data starts (after its local header); `dataStart + compressedSize` is inside the file.
        var dataStart: UInt64
    }

    var records: [Record]

    /// Largest central directory read (a directory of 10,000 entries with long names is about 3 MB).
    static let maxDirectoryBytes: UInt64 = 64 << 20
    /// No real archive has an offset or size near 2^64; values past this are refused before any arithmetic, so
    /// ZIPFoundation's unchecked sums of two or three of them cannot overflow.
    static let maxValue: UInt64 = 1 << 62

    init(reading url: URL) throws(DeployError) {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw DeployError(.badSource, "cannot open \(url.path) for reading")
        }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { throw Self.corrupt("its size cannot be read") }
        try self.init(size: size) { offset, count in
            guard (try? handle.seek(toOffset: offset)) != nil else { return nil }
            return try? handle.read(upToCount: count) ?? Data()
        }
    }

    /// Reads a zip held in memory (tests, fuzzing).
    init(bytes: Data) throws(DeployError) {
        let bytes = Data(bytes)  // indices from 0
        try self.init(size: UInt64(bytes.count)) { offset, count in
            guard offset <= UInt64(bytes.count) else { return nil }
            let start = Int(offset)
            return Data(bytes[start..<(start + min(count, bytes.count - start))])
        }
    }

    /// `read(offset, count)` returns up to `count` bytes at `offset` (fewer at the end of the file), or `nil`.
    private init(size: UInt64, read: (UInt64, Int) -> Data?) throws(DeployError) {
        guard size >= 22, let tail = read(size - min(size, 22 + 65_535), Int(min(size, 22 + 65_535))), tail.count >= 22
        else {
            throw DeployError(.corruptArchive, "the file is not a zip archive (too short)")
        }
        let tailStart = size - UInt64(tail.count)
        guard let eocd = Self.lastSignature(0x0605_4b50, in: tail) else {
            throw DeployError(.corruptArchive, "the file is not a zip archive, or it is truncated (no end-of-directory record)")
        }
        var count = UInt64(tail.le16(eocd + 10))
        var directorySize = UInt64(tail.le32(eocd + 12))
        var directoryOffset = UInt64(tail.le32(eocd + 16))
        if let zip64 = try Self.zip64End(eocdOffset: tailStart + UInt64(eocd), read: read) {
            (count, directorySize, directoryOffset) = zip64
        }
        guard directorySize <= Self.maxDirectoryBytes else {
            throw Self.corrupt("its central directory claims \(directorySize) bytes")
        }
        guard let directoryEnd = Self.sum(directoryOffset, directorySize), directoryEnd <= size else {
            throw Self.corrupt("its central directory (offset \(directoryOffset), \(directorySize) bytes) lies beyond the end of the file")
        }
        // Every entry takes at least 46 bytes: a count the directory cannot hold is a lie.
        guard count <= directorySize / 46 else {
            throw Self.corrupt("it claims \(count) entries in a central directory of \(directorySize) bytes")
        }
        guard let directory = read(directoryOffset, Int(directorySize)), directory.count == Int(directorySize) else {
            throw Self.corrupt("its central directory cannot be read")
        }
        var records: [Record] = []
        var position = 0
        while position + 46 <= directory.count, directory.le32(position) == 0x0201_4b50 {
            let (record, next) = try Self.record(in: directory, at: position, archiveSize: size, read: read)
            records.append(record)
            position = next
        }
        guard UInt64(records.count) == count else {
            throw Self.corrupt("its directory lists \(records.count) entries where the end record says \(count)")
        }
        self.records = records
    }

    /// The ZIP64 end record's entry count, directory size and offset, found as ZIPFoundation finds it: the locator
    /// right before the end record and the 56-byte ZIP64 record right before the locator. `nil` when there is none.
    private static func zip64End(eocdOffset: UInt64, read: (UInt64, Int) -> Data?) throws(DeployError) -> (
        UInt64, UInt64, UInt64
    )? {
        guard eocdOffset > 20, eocdOffset - 20 > 56, let locator = read(eocdOffset - 20, 20), locator.count == 20,
            locator.le32(0) == 0x0706_4b50
        else { return nil }
        let recordOffset = eocdOffset - 20 - 56
        guard let record = read(recordOffset, 56), record.count == 56, record.le32(0) == 0x0606_4b50,
            record.le16(14) >= 45
        else { return nil }
        guard locator.le64(8) == recordOffset else {
            throw corrupt("its ZIP64 locator points at \(locator.le64(8)), not at the ZIP64 end record (\(recordOffset))")
        }
        let values = (record.le64(32), record.le64(40), record.le64(48))
        guard values.0 <= maxValue, values.1 <= maxValue, values.2 <= maxValue else {
            throw corrupt("its ZIP64 end record holds impossible values (\(values.0) entries, \(values.1) bytes at \(values.2))")
        }
        return values
    }

    /// One central-directory entry at `position`, checked, and the position of the next.
    private static func record(in directory: Data, at position: Int, archiveSize size: UInt64, read: (UInt64, Int) -> Data?)
        throws(DeployError) -> (Record, Int)
    {
        let madeBy = directory.le16(position + 4) >> 8
        let flags = directory.le16(position + 8)
        let method = directory.le16(position + 10)
        let nameLength = Int(directory.le16(position + 28))
        let extraLength = Int(directory.le16(position + 30))
        let commentLength = Int(directory.le16(position + 32))
        let external = directory.le32(position + 38)
        let next = position + 46 + nameLength + extraLength + commentLength  // at most 46 + 3 × 65,535: no overflow
        guard next <= directory.count else { throw corrupt("an entry of its central directory runs past its end") }
        let nameStart = position + 46
        let path = String(decoding: directory[nameStart..<(nameStart + nameLength)], as: UTF8.self)
        let extra = directory[(nameStart + nameLength)..<(nameStart + nameLength + extraLength)]
        let sizes = try effectiveSizes(
            compressed: directory.le32(position + 20), uncompressed: directory.le32(position + 24),
            offset: directory.le32(position + 42), disk: directory.le16(position + 34), extra: Data(extra), path: path)

        // The local header must be in the file, and the entry's data after it; ZIPFoundation reads both unchecked.
        guard let headerEnd = sum(sizes.offset, 30), headerEnd <= size, let header = read(sizes.offset, 30), header.count == 30,
            header.le32(0) == 0x0403_4b50
        else {
            throw corrupt("the local header of \"\(path)\" is missing (offset \(sizes.offset))")
        }
        let localMethod = header.le16(8)
        let localCompressed = UInt64(header.le32(18))
        let dataStart = headerEnd + UInt64(header.le16(26)) + UInt64(header.le16(28))
        var lengths = [sizes.compressed]
        // Stored data is read for its uncompressed length; a link for its local header's compressed length.
        if method == 0 || localMethod == 0 { lengths.append(sizes.uncompressed) }
        let isUnix = madeBy == 3 || madeBy == 19
        let fileType: UInt32? = isUnix ? (external >> 16) & 0o170000 : nil
        if fileType == 0o120000 { lengths.append(localCompressed) }
        for length in lengths {
            guard let end = sum(dataStart, length), end <= size else {
                throw corrupt("the data of \"\(path)\" (\(length) bytes at \(dataStart)) lies beyond the end of the file")
            }
        }
        let record = Record(
            fileType: fileType, isEncrypted: flags & 1 != 0, path: path, compressionMethod: method, compressedSize: sizes.compressed,
            dataStart: dataStart)
        return (record, next)
    }

    /// The sizes and local-header offset ZIPFoundation will use: the 32-bit fields, or the ZIP64 extra field's
    /// values for those at 0xFFFFFFFF (when the extra field holds exactly those values, as ZIPFoundation requires).
    private static func effectiveSizes(
        compressed: UInt32, uncompressed: UInt32, offset: UInt32, disk: UInt16, extra: Data, path: String
    ) throws(DeployError) -> (compressed: UInt64, uncompressed: UInt64, offset: UInt64) {
        var result = (compressed: UInt64(compressed), uncompressed: UInt64(uncompressed), offset: UInt64(offset))
        var position = 0
        while position + 4 <= extra.count {
            let id = extra.le16(position)
            let length = Int(extra.le16(position + 2))
            let end = position + 4 + length
            guard end <= extra.count else { break }  // ZIPFoundation stops here too; padding is not an error
            if id == 0x0001 {
                // Refuse absurd values wherever they sit, so no reading of this field can overflow.
                var at = position + 4
                while at + 8 <= end {
                    guard extra.le64(at) <= maxValue else {
                        throw corrupt("the ZIP64 field of \"\(path)\" holds an impossible size or offset (\(extra.le64(at)))")
                    }
                    at += 8
                }
                var wanted: [WritableKeyPath<(compressed: UInt64, uncompressed: UInt64, offset: UInt64), UInt64>] = []
                if uncompressed == .max { wanted.append(\.uncompressed) }
                if compressed == .max { wanted.append(\.compressed) }
                if offset == .max { wanted.append(\.offset) }
                if length == 8 * wanted.count + (disk == .max ? 4 : 0) {
                    for (i, key) in wanted.enumerated() {
                        let value = extra.le64(position + 4 + 8 * i)
                        if value > 0 { result[keyPath: key] = value }
                    }
                }
                break
            }
            position = end
        }
        return result
    }

    /// `a + b`, or `nil` where it would overflow.
    static func sum(_ a: UInt64, _ b: UInt64) -> UInt64? {
        let (result, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : result
    }

    static func corrupt(_ detail: String) -> DeployError {
        DeployError(.corruptArchive, "the zip file is damaged or truncated: \(detail)")
    }

    private static func lastSignature(_ signature: UInt32, in data: Data) -> Int? {
        var index = data.count - 22
        while index >= 0 {
            if data.le32(index) == signature { return index }
            index -= 1
        }
        return nil
    }
}

extension Data {
    fileprivate func le16(_ offset: Int) -> UInt16 {
        let i = startIndex + offset
        return UInt16(self[i]) | UInt16(self[i + 1]) << 8
    }

    fileprivate func le32(_ offset: Int) -> UInt32 {
        UInt32(le16(offset)) | UInt32(le16(offset + 2)) << 16
    }

    fileprivate func le64(_ offset: Int) -> UInt64 {
        UInt64(le32(offset)) | UInt64(le32(offset + 4)) << 32
    }
}
