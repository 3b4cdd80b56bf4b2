import Crypto
import Foundation
import RoloCore

/// iVvy's IWS request signature (PROVIDERS.md §3.1): every request carries the MD5 of its
/// exact body bytes, the time it was made, and an HMAC-SHA1 over both and the request line,
/// keyed with the account's secret. iVvy refuses a request more than 5 minutes from its own
/// clock, so each attempt is signed anew with the time it is sent.
struct IvvySigner: Sendable {
    let key: String
    private let secret: String

    static let contentType = "application/json"
    static let apiVersion = "1.0"

    init(key: String, secret: String) {
        self.key = key
        self.secret = secret
    }

    /// The headers that authenticate one request: Content-Type, Content-MD5, IVVY-Date,
    /// X-Api-Version and X-Api-Authorization. `requestURI` is the path and query as sent.
    func headers(body: Data, requestURI: String, at date: Date) -> [HTTPRequest.Header] {
        let md5 = IvvySigner.contentMD5(body)
        let stamp = IvvySigner.ivvyDate(date)
        let toSign = IvvySigner.stringToSign(method: "POST", contentMD5: md5, contentType: IvvySigner.contentType,
                                             date: "", requestURI: requestURI, apiVersion: IvvySigner.apiVersion,
                                             ivvyHeaders: [("IVVY-Date", stamp)])
        return [
            HTTPRequest.Header("Content-Type", IvvySigner.contentType),
            HTTPRequest.Header("Content-MD5", md5),
            HTTPRequest.Header("IVVY-Date", stamp),
            HTTPRequest.Header("X-Api-Version", IvvySigner.apiVersion),
            HTTPRequest.Header("X-Api-Authorization", "IWS \(key):\(signature(of: toSign))"),
        ]
    }

    /// Lower-case hex MD5 of the exact bytes sent (the empty body's is d41d8cd9…).
    static func contentMD5(_ body: Data) -> String {
        hex(Insecure.MD5.hash(data: body))
    }

    /// `yyyy-mm-dd HH:mm:ss UTC`, iVvy's timestamp with the zone the SDK adds.
    static func ivvyDate(_ date: Date) -> String {
        Timestamp(date).display
    }

    /// method, Content-MD5, Content-Type, the Date header (empty when IVVY-Date is used), the
    /// request URI, the API version and the IVVY headers — each IVVY header as `name=value`
    /// with `-` and `_` taken out of the name, in alphabetical order, joined by `&` — one
    /// after the other, then lower-cased as a whole.
    static func stringToSign(method: String, contentMD5: String, contentType: String, date: String, requestURI: String,
                             apiVersion: String, ivvyHeaders: [(String, String)]) -> String {
        let headers = ivvyHeaders
            .map { (name: $0.0.filter { $0 != "-" && $0 != "_" }, value: $0.1) }
            .sorted { $0.name.lowercased() < $1.name.lowercased() }
            .map { "\($0.name)=\($0.value)" }
            .joined(separator: "&")
        return (method + contentMD5 + contentType + date + requestURI + apiVersion + headers).lowercased()
    }

    /// Lower-case hex HMAC-SHA1 of the string to sign, keyed with the secret (both UTF-8).
    func signature(of stringToSign: String) -> String {
        let code = HMAC<Insecure.SHA1>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return IvvySigner.hex(code)
    }

    private static func hex<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
