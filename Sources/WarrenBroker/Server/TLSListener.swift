import NIOSSL

/// The broker could not start as configured; the text says what to fix.
public struct BrokerStartError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

extension BrokerConfiguration.TLSListener {
    /// The server side of TLS from the PEM files, with an error that names the file that is wrong.
    public func serverConfiguration() throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateChainFile)
        } catch {
            throw BrokerStartError("cannot read the certificate chain \(certificateChainFile): \(error)")
        }
        guard !chain.isEmpty else { throw BrokerStartError("no PEM certificate in \(certificateChainFile)") }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
        } catch {
            throw BrokerStartError("cannot read the private key \(privateKeyFile): \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                        privateKey: .privateKey(key))
    }

    func makeContext() throws -> NIOSSLContext {
        let configuration = try serverConfiguration()
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw BrokerStartError("\(certificateChainFile) and \(privateKeyFile) do not make a TLS context "
                + "(does the key belong to the certificate?): \(error)")
        }
    }
}
