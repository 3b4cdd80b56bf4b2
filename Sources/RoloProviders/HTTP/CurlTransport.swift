import CCurl
import Foundation
import RoloCore

/// HTTP over libcurl's easy interface: the live transport.
///
/// Why not URLSession: on Linux, FoundationNetworking drives libcurl's multi interface from
/// dispatch sources, and while a reply is awaited those sources fire without pause — one
/// request waiting 5 s for a slow server cost 4.9 s of CPU (measured with Swift 6.3 on the
/// build machine), so every sync spun a core of the shared jump host for as long as the
/// provider took to answer. Here each request is one blocking `curl_easy_perform` on a thread
/// of its own, which sleeps in `poll` while it waits (`rolo fetch` waiting out six such replies
/// in 30 s: 0.03 s of CPU).
///
/// Easy handles are kept between requests, and with them their open connections, so a sync's
/// reads reuse connections. Writes each get a connection of their own (see `configure`).
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    // @unchecked: the only mutable state is the handle pool, behind its lock.
    private let timeout: TimeInterval
    private let userAgent: String
    private let pool = HandlePool()

    /// Whether libcurl is there and set up: loaded and set up once, by the first request that
    /// needs it (see CCurl), whichever thread that is.
    private static let loaded: Bool = rolo_curl_load() != 0

    /// `timeout`: how long a request may wait to connect, or wait for data, before it fails
    /// (and is retried); a whole request may take four times that.
    /// Loads nothing: libcurl is loaded by the first request, so that a rolo that never
    /// syncs (the TUI's start, `rolo list`) never maps it and the libraries it brings.
    public init(timeout: TimeInterval = 30, userAgent: String) {
        self.timeout = timeout
        self.userAgent = userAgent
    }

    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let transfer = Transfer()
        let result: Result<HTTPResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                // A thread, not the cooperative pool: the call blocks until the reply is in.
                let thread = Thread { continuation.resume(returning: self.perform(request, transfer)) }
                thread.name = "rolo-http"
                thread.start()
            }
        } onCancel: {
            transfer.cancel()
        }
        return try result.get()
    }

    // MARK: - One request

    private func perform(_ request: HTTPRequest, _ transfer: Transfer) -> Result<HTTPResponse, TransportError> {
        if transfer.isCancelled { return .failure(.other("the request was cancelled")) }
        guard CurlTransport.loaded else {
            return .failure(.other("libcurl could not be loaded: install it (Debian: apt-get install libcurl4)"))
        }
        guard let handle = pool.take() else { return .failure(.other("libcurl could not start a request")) }
        var headerList: UnsafeMutablePointer<curl_slist>?
        let errorText = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorText.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer {
            rolo_curl_slist_free_all(headerList)
            // Reset forgets every option (the error buffer and the callbacks' context among
            // them) but keeps the connections.
            rolo_curl_easy_reset(handle)
            pool.put(handle)
            errorText.deallocate()
        }

        for header in request.headers {
            // A line break in a value would start another header: nothing rolo sends has one.
            if header.name.contains(where: \.isNewline) || header.value.contains(where: \.isNewline) {
                return .failure(.other("the header \(header.name.filter { !$0.isNewline }) holds a line break"))
            }
            // `Name;` is libcurl's way to send a header with an empty value.
            let line = header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)"
            headerList = rolo_curl_slist_append(headerList, line)
        }
        // No `Expect: 100-continue` before a body: it costs a round trip, or a second when a
        // server does not answer it.
        headerList = rolo_curl_slist_append(headerList, "Expect:")

        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var code = configure(handle, for: request, headers: headerList, errorText: errorText, context: context)
        if code == CURLE_OK {
            code = withExtendedLifetime(transfer) { rolo_curl_easy_perform(handle) }
        }
        guard code == CURLE_OK else {
            let detail = String(cString: errorText)
            let message = detail.isEmpty ? String(cString: rolo_curl_easy_strerror(code)) : detail
            return .failure(transfer.isCancelled ? .other("the request was cancelled") : CurlTransport.classify(code, message))
        }
        return .success(HTTPResponse(status: rolo_curl_response_code(handle), headers: transfer.headers, body: transfer.body))
    }

    /// A libcurl option that could not be set: the request is not sent.
    private struct OptionRefused: Error {
        let code: CURLcode
    }

    /// Every option of one request, on a handle fresh from `curl_easy_reset`. libcurl copies
    /// the strings it is given (the body too, through COPYPOSTFIELDS).
    private func configure(_ handle: UnsafeMutableRawPointer, for request: HTTPRequest, headers: UnsafeMutablePointer<curl_slist>?,
                           errorText: UnsafeMutablePointer<CChar>, context: UnsafeMutableRawPointer) -> CURLcode {
        func set(_ code: CURLcode) throws(OptionRefused) {
            if code != CURLE_OK { throw OptionRefused(code: code) }
        }
        func set(_ option: CURLoption, _ value: Int) throws(OptionRefused) { try set(rolo_curl_set_long(handle, option, value)) }
        func set(_ option: CURLoption, _ text: String) throws(OptionRefused) {
            try set(text.withCString { rolo_curl_set_pointer(handle, option, $0) })
        }
        do {
            try set(rolo_curl_set_pointer(handle, CURLOPT_ERRORBUFFER, errorText))
            try set(CURLOPT_URL, request.url.absoluteString)
            // Threads and signals do not mix: name lookups time out without SIGALRM.
            try set(CURLOPT_NOSIGNAL, 1)
            try set(CURLOPT_USERAGENT, userAgent)
            try set(rolo_curl_set_pointer(handle, CURLOPT_HTTPHEADER, UnsafeRawPointer(headers)))
            try set(CURLOPT_CONNECTTIMEOUT_MS, Int(timeout * 1000))
            // Under one byte a second for `timeout` seconds is a timeout: what URLSession's
            // request timeout meant (no data for that long).
            try set(CURLOPT_LOW_SPEED_LIMIT, 1)
            try set(CURLOPT_LOW_SPEED_TIME, max(1, Int(timeout.rounded(.up))))
            try set(CURLOPT_TIMEOUT_MS, Int(timeout * 4000))
            try set(CURLOPT_ACCEPT_ENCODING, "")
            // Redirects are followed, never from HTTPS down to plain HTTP. A libcurl older than
            // 7.85 has no REDIR_PROTOCOLS_STR: there, redirects are not followed at all.
            let schemes = request.url.scheme?.lowercased() == "https" ? "https" : "http,https"
            if (schemes.withCString { rolo_curl_set_pointer(handle, CURLOPT_REDIR_PROTOCOLS_STR, $0) }) == CURLE_OK {
                try set(CURLOPT_FOLLOWLOCATION, 1)
                try set(CURLOPT_MAXREDIRS, 5)
            }
            try set(rolo_curl_set_receivers(handle, receiveBody, receiveHeader, context))
            try set(rolo_curl_set_progress(handle, checkCancelled, context))
            let method = request.method.uppercased()
            switch (method, request.body) {
            case ("GET", nil):
                try set(CURLOPT_HTTPGET, 1)
            case ("HEAD", nil):
                try set(CURLOPT_NOBODY, 1)
            default:
                if method == "POST" { try set(CURLOPT_POST, 1) } else { try set(CURLOPT_CUSTOMREQUEST, method) }
                // A request that changes something goes on a connection of its own, closed
                // after: libcurl sends a request again by itself when a reused connection turns
                // out closed, and a create the server applied before the connection broke would
                // be made twice. Whether to send again is the sync engine's decision (it looks
                // for a create whose reply was lost first).
                try set(CURLOPT_FRESH_CONNECT, 1)
                try set(CURLOPT_FORBID_REUSE, 1)
                if let body = request.body {
                    // The exact bytes, as given (iVvy signs them).
                    try set(rolo_curl_set_offset(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)))
                    try set(body.withUnsafeBytes { bytes in
                        "".withCString { empty in
                            rolo_curl_set_pointer(handle, CURLOPT_COPYPOSTFIELDS, bytes.baseAddress ?? UnsafeRawPointer(empty))
                        }
                    })
                }
            }
        } catch {
            return error.code
        }
        return CURLE_OK
    }

    static func classify(_ code: CURLcode, _ message: String) -> TransportError {
        switch code {
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .cannotConnect(message)
        case CURLE_OPERATION_TIMEDOUT:
            return .timedOut
        case CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY,
             CURLE_HTTP2, CURLE_HTTP2_STREAM, CURLE_BAD_CONTENT_ENCODING:
            return .connectionLost(message)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
             CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH:
            return .other("the TLS connection failed: \(message)")
        default:
            return .other(message)
        }
    }
}

// MARK: - What one transfer gathers

/// The reply as it comes in, and whether the task waiting for it was cancelled. Written by
/// libcurl's callbacks on the request's thread, read by it once the transfer is over; the
/// cancel flag alone crosses threads, behind a lock.
private final class Transfer: @unchecked Sendable {
    var body = Data()
    var headers: [String: String] = [:]
    private let lock = NSLock()
    private var cancelled = false

    var isCancelled: Bool { lock.withLock { cancelled } }
    func cancel() { lock.withLock { cancelled = true } }

    /// One header line. A status line starts a reply afresh (after a redirect or an interim
    /// 1xx reply), so only the final reply's headers are kept.
    func header(line: String) {
        if line.hasPrefix("HTTP/") {
            headers.removeAll()
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if !name.isEmpty, headers[name] == nil { headers[name] = value }
    }
}

private func transfer(_ context: UnsafeMutableRawPointer?) -> Transfer {
    Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
}

private let receiveBody: rolo_curl_data_callback = { data, size, count, context in
    let length = size * count
    if let data, length > 0 {
        transfer(context).body.append(UnsafeRawPointer(data).assumingMemoryBound(to: UInt8.self), count: length)
    }
    return length
}

private let receiveHeader: rolo_curl_data_callback = { data, size, count, context in
    let length = size * count
    if let data, length > 0 {
        let bytes = UnsafeRawBufferPointer(start: data, count: length)
        transfer(context).header(line: String(decoding: bytes, as: UTF8.self))
    }
    return length
}

private let checkCancelled: rolo_curl_progress_callback = { context, _, _, _, _ in
    transfer(context).isCancelled ? 1 : 0
}

// MARK: - Handles kept between requests

/// Easy handles not in use, each with the connections it keeps open. A handle serves one
/// request at a time; at most `kept` wait here, the rest are closed.
private final class HandlePool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [UnsafeMutableRawPointer] = []
    private let kept = ProviderCapabilities.requestsInFlightRange.upperBound

    func take() -> UnsafeMutableRawPointer? {
        lock.withLock { idle.popLast() } ?? rolo_curl_easy_init()
    }

    func put(_ handle: UnsafeMutableRawPointer) {
        let keep = lock.withLock {
            guard idle.count < kept else { return false }
            idle.append(handle)
            return true
        }
        if !keep { rolo_curl_easy_cleanup(handle) }
    }

    deinit {
        for handle in idle { rolo_curl_easy_cleanup(handle) }
    }
}
