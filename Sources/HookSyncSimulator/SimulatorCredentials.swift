/// The credentials each simulated API accepts; anything else is answered 401 before any fault applies.
///
/// ```swift
/// var credentials = SimulatorCredentials()
/// credentials.softledgerTokenTTL = .seconds(2)
/// let simulator = ProviderSimulator(credentials: credentials)
/// ```
public struct SimulatorCredentials: Sendable, Hashable {
    /// Precoro: the `email` header.
    public var precoroEmail: String
    /// Precoro: the `X-AUTH-TOKEN` header.
    public var precoroToken: String
    /// e-conomic: the `X-AppSecretToken` header.
    public var economicAppSecret: String
    /// e-conomic: the `X-AgreementGrantToken` header.
    public var economicGrant: String
    /// Kladana: `Authorization: Bearer …`.
    public var kladanaToken: String
    /// SoftLedger's OAuth2 client-credentials request must carry these four.
    public var softledgerClientID: String
    public var softledgerClientSecret: String
    public var softledgerTenant: String
    public var softledgerAudience: String
    /// How long an issued SoftLedger access token is accepted (by the simulator's `now`).
    public var softledgerTokenTTL: Duration
    /// Standard Webhooks sender: `Authorization: Bearer …` when set; `nil` serves without credentials.
    public var standardToken: String?

    public init(
        precoroEmail: String = "sim@example.com",
        precoroToken: String = "precoro-token",
        economicAppSecret: String = "economic-app",
        economicGrant: String = "economic-grant",
        kladanaToken: String = "kladana-token",
        softledgerClientID: String = "sl-client",
        softledgerClientSecret: String = "sl-secret",
        softledgerTenant: String = "sl-tenant",
        softledgerAudience: String = "sl-audience",
        softledgerTokenTTL: Duration = .seconds(3600),
        standardToken: String? = "standard-token"
    ) {
        self.precoroEmail = precoroEmail
        self.precoroToken = precoroToken
        self.economicAppSecret = economicAppSecret
        self.economicGrant = economicGrant
        self.kladanaToken = kladanaToken
        self.softledgerClientID = softledgerClientID
        self.softledgerClientSecret = softledgerClientSecret
        self.softledgerTenant = softledgerTenant
        self.softledgerAudience = softledgerAudience
        self.softledgerTokenTTL = softledgerTokenTTL
        self.standardToken = standardToken
    }
}
