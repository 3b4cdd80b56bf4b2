import Crypto
import Foundation

/// iVvy's IWS request signature (PROVIDERS.md §3.1, the docs' "Signing the request").
enum IVVYSignature {
    /// `method + contentMD5 + contentType + date + requestURI + apiVersion + ivvyHeaders`,
    /// lower-cased. `date` is the `Date` header, or empty when `IVVY-Date` is sent;
    /// `ivvyHeaders` are the headers whose names start with IVVY, names stripped of `-` and
    /// `_`, written `name=value`, in alphabetical order, joined with `&`.
    static func stringToSign(method: String, contentMD5: String, contentType: String, date: String,
                             requestURI: String, apiVersion: String, headers: [RecordedRequest.Header]) -> String {
        let ivvy = headers
            .filter { $0.name.lowercased().hasPrefix("ivvy") }
            .map { header in
                (name: header.name.filter { $0 != "-" && $0 != "_" }, value: header.value)
            }
            .sorted { $0.name.lowercased() < $1.name.lowercased() }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
        let usesIVVYDate = headers.contains { $0.name.caseInsensitiveCompare("IVVY-Date") == .orderedSame }
        return (method + contentMD5 + contentType + (usesIVVYDate ? "" : date) + requestURI + apiVersion + ivvy).lowercased()
    }

    /// Lowercase hex HMAC-SHA1 of the UTF-8 string, keyed with the secret's UTF-8 bytes.
    static func sign(_ stringToSign: String, secret: String) -> String {
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8),
                                                         using: SymmetricKey(data: Data(secret.utf8)))
        return hex(Data(mac))
    }

    /// Lowercase hex MD5 of the exact body bytes.
    static func contentMD5(_ body: Data) -> String { hex(Data(Insecure.MD5.hash(data: body))) }

    static func hex(_ data: Data) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(data.count * 2)
        for byte in data {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
