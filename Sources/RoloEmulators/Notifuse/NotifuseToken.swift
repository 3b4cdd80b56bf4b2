import Crypto
import Foundation

/// Notifuse's bearer check (`internal/http/middleware/auth.go` with golang-jwt v5): an HS*
/// JWT signed with the server secret, whose claims carry `user_id` and `type`. The messages
/// are the server's own, so a client shows its users what the real server would say.
struct NotifuseTokenCheck: Sendable {
    let secret: Data
    let clock: EmulatorClock

    struct Claims: Equatable {
        let userID: String
        let type: String
    }

    /// A workspace API key as `GenerateAPIAuthToken` makes it: claim `type` "api_key",
    /// valid for ten years from now.
    static func makeAPIKey(secret: Data, userID: String, email: String, now: Date) -> String {
        let issued = Int(now.timeIntervalSince1970)
        let header: EmulatorJSON = ["alg": "HS256", "typ": "JWT"]
        let claims: EmulatorJSON = [
            "user_id": .string(userID), "email": .string(email), "type": "api_key",
            "exp": .number(Double(issued + 10 * 365 * 86_400)), "iat": .number(Double(issued)),
            "nbf": .number(Double(issued)),
        ]
        let signingInput = Base64URL.encode(header.serialized()) + "." + Base64URL.encode(claims.serialized())
        let mac = HMAC<SHA256>.authenticationCode(for: Data(signingInput.utf8), using: SymmetricKey(data: secret))
        return signingInput + "." + Base64URL.encode(Data(mac))
    }

    /// The claims of a valid `Authorization` header, or the 401 message.
    func check(authorization: String?) -> Result<Claims, NotifuseAuthFailure> {
        guard let authorization, !authorization.isEmpty else {
            return .failure(.init("Authorization header is required"))
        }
        let parts = authorization.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0] == "Bearer" else {
            return .failure(.init("Invalid authorization header format"))
        }
        switch verify(String(parts[1])) {
        case .failure(let reason): return .failure(.init("Invalid token: \(reason.message)"))
        case .success(let claims):
            let userID = claims["user_id"]?.stringValue ?? ""
            let type = claims["type"]?.stringValue ?? ""
            if userID.isEmpty { return .failure(.init("User ID not found in token")) }
            if type.isEmpty { return .failure(.init("User type not found in token")) }
            if type == "user", (claims["session_id"]?.stringValue ?? "").isEmpty {
                return .failure(.init("Session ID not found in token"))
            }
            return .success(Claims(userID: userID, type: type))
        }
    }

    /// golang-jwt v5's `ParseWithClaims`: segments, header, claims, signing method, the
    /// server's HMAC-only key function, the signature, then `exp` and `nbf`.
    private func verify(_ token: String) -> Result<[String: EmulatorJSON], Refusal> {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3 else {
            return .failure(Refusal("token is malformed: token contains an invalid number of segments"))
        }
        guard let headerBytes = Base64URL.decode(segments[0]) else {
            return .failure(Refusal("token is malformed: could not base64 decode header"))
        }
        guard let header = (try? EmulatorJSON(parsing: headerBytes))?.objectValue else {
            return .failure(Refusal("token is malformed: could not JSON decode header"))
        }
        guard let claimBytes = Base64URL.decode(segments[1]) else {
            return .failure(Refusal("token is malformed: could not base64 decode claim"))
        }
        guard let claims = (try? EmulatorJSON(parsing: claimBytes))?.objectValue else {
            return .failure(Refusal("token is malformed: could not JSON decode claim"))
        }
        for name in ["exp", "nbf", "iat"] {
            if let value = claims[name], value != .null, value.numberValue == nil {
                return .failure(Refusal("token is malformed: could not JSON decode claim"))
            }
        }
        let known = ["HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512",
                     "PS256", "PS384", "PS512", "EdDSA", "none"]
        guard let algorithm = header["alg"]?.stringValue, known.contains(algorithm) else {
            return .failure(Refusal("token is unverifiable: signing method (alg) is unavailable"))
        }
        guard algorithm.hasPrefix("HS") else {
            return .failure(Refusal("token is unverifiable: error while executing keyfunc: unexpected signing method: \(algorithm)"))
        }
        guard let signature = Base64URL.decode(segments[2]) else {
            return .failure(Refusal("token is malformed: could not base64 decode signature"))
        }
        let input = Data("\(segments[0]).\(segments[1])".utf8)
        let key = SymmetricKey(data: secret)
        let valid: Bool
        switch algorithm {
        case "HS384": valid = HMAC<SHA384>.isValidAuthenticationCode(signature, authenticating: input, using: key)
        case "HS512": valid = HMAC<SHA512>.isValidAuthenticationCode(signature, authenticating: input, using: key)
        default: valid = HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: input, using: key)
        }
        guard valid else { return .failure(Refusal("token signature is invalid: signature is invalid")) }

        let now = clock().timeIntervalSince1970
        var problems = [String]()
        if let expiry = claims["exp"]?.numberValue, !(now < expiry) { problems.append("token is expired") }
        if let notBefore = claims["nbf"]?.numberValue, now < notBefore { problems.append("token is not valid yet") }
        if !problems.isEmpty { return .failure(Refusal("token has invalid claims: " + problems.joined(separator: ", "))) }
        return .success(claims)
    }
}

struct NotifuseAuthFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// Unpadded base64url, as JWTs use it.
enum Base64URL {
    static func encode(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Strict like Go's `RawURLEncoding`: no padding, no standard-alphabet characters.
    static func decode(_ text: Substring) -> Data? {
        guard text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }),
              text.count % 4 != 1 else { return nil }
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard)
    }
}
