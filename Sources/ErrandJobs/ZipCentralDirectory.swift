import Foundation

/// The fields of a zip's central directory that ZIPFoundation does not make public: the Unix file type and
/// the encryption flag of each entry, in central-directory order (the order `Archive` iterates in).
///
/// Needed to refuse device files and FIFOs, which ZIPFoundation would quietly turn into regular files, and
/// encrypted entries, which it cannot read. Reads only the end records and the directory itself.
struct ZipCentralDirectory {
    struct Record {
        /// `S_IFMT` bits of the entry's Unix mode, or `nil` when the zip was not made on Unix or macOS.
        var fileType: UInt32?
        var isEncrypted: Bool
        var path: String
    }

    var records: [Record]

    init(reading url: URL) throws(DeployError) {
        let corrupt = DeployError(.corruptArchive, "the zip file is damaged or truncated (its central directory cannot be read)")
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw DeployError(.badSource, "cannot open \(url.path) for reading")
        }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { throw corrupt }
        let tailLength = min(size, 22 + 65_535)
        guard let tail = Self.read(handle, at: size - tailLength, count: Int(tailLength)), tail.count >= 22 else {
            throw DeployError(.corruptArchive, "the file is not a zip archive (too short)")
        }
        guard let eocd = Self.lastSignature(0x0605_4b50, in: tail) else {
            throw DeployError(.corruptArchive, "the file is not a zip archive, or it is truncated (no end-of-directory record)")
        }
        var count = UInt64(tail.le16(eocd + 10))
        var directorySize = UInt64(tail.le32(eocd + 12))
        var directoryOffset = UInt64(tail.le32(eocd + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            // ZIP64: the locator sits just before the end record and points at the ZIP64 end record.
            guard eocd >= 20, tail.le32(eocd - 20) == 0x0706_4b50 else { throw corrupt }
            let recordOffset = tail.le64(eocd - 20 + 8)
            guard let record = Self.read(handle, at: recordOffset, count: 56), record.count == 56,
                record.le32(0) == 0x0606_4b50
            else { throw corrupt }
            count = record.le64(32)
            directorySize = record.le64(40)
            directoryOffset = record.le64(48)
        }
        guard directoryOffset + directorySize <= size, directorySize <= 64 << 20,
            let directory = Self.read(handle, at: directoryOffset, count: Int(directorySize))
        else { throw corrupt }
        var records: [Record] = []
        var position = 0
        while position + 46 <= directory.count, directory.le32(position) == 0x0201_4b50 {
            let madeBy = directory.le16(position + 4) >> 8
            let flags = directory.le16(position + 8)
            let nameLength = Int(directory.le16(position + 28))
            let extraLength = Int(directory.le16(position + 30))
            let commentLength = Int(directory.le16(position + 32))
            let external = directory.le32(position + 38)
            guard position + 46 + nameLength <= directory.count else { throw corrupt }
            let nameBytes = directory[(directory.startIndex + position + 46)..<(directory.startIndex + position + 46 + nameLength)]
            let isUnix = madeBy == 3 || madeBy == 19
            records.append(
                Record(
                    fileType: isUnix ? (external >> 16) & 0o170000 : nil, isEncrypted: flags & 1 != 0,
                    path: String(decoding: nameBytes, as: UTF8.self)))
            position += 46 + nameLength + extraLength + commentLength
        }
        guard UInt64(records.count) == count else { throw corrupt }
        self.records = records
    }

    private static func read(_ handle: FileHandle, at offset: UInt64, count: Int) -> Data? {
        guard (try? handle.seek(toOffset: offset)) != nil else { return nil }
        return try? handle.read(upToCount: count) ?? Data()
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
