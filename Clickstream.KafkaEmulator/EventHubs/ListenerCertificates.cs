using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Clickstream.KafkaEmulator.EventHubs;

/// <summary>
/// A development CA and a server certificate for <c>localhost</c> / <c>127.0.0.1</c> signed by it,
/// generated at first start into a directory and reused afterwards, so clients keep trusting the same
/// CA file (<c>ssl.ca.location</c>) across restarts.
/// </summary>
public sealed class ListenerCertificates
{
    public const string CaFileName = Clickstream.Contracts.EventHubsDevelopmentRules.CaFileName;
    private const string CaKeyFileName = "ca.key";
    private const string ServerFileName = "server.crt";
    private const string ServerKeyFileName = "server.key";

    private ListenerCertificates(string caPath, X509Certificate2 server)
    {
        CaPath = caPath;
        Server = server;
    }

    /// <summary>The CA certificate (PEM) clients trust.</summary>
    public string CaPath { get; }

    public X509Certificate2 Server { get; }

    public static ListenerCertificates LoadOrCreate(string directory, TimeProvider time)
    {
        Directory.CreateDirectory(directory);
        var caPath = Path.Combine(directory, CaFileName);
        var caKeyPath = Path.Combine(directory, CaKeyFileName);
        var serverPath = Path.Combine(directory, ServerFileName);
        var serverKeyPath = Path.Combine(directory, ServerKeyFileName);
        var now = time.GetUtcNow();

        X509Certificate2 ca;
        if (File.Exists(caPath) && File.Exists(caKeyPath))
        {
            ca = X509Certificate2.CreateFromPemFile(caPath, caKeyPath);
        }
        else
        {
            ca = CreateCa(now);
            Write(caKeyPath, ca.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), secret: true);
            Write(caPath, ca.ExportCertificatePem(), secret: false);
        }

        X509Certificate2? server = null;
        if (File.Exists(serverPath) && File.Exists(serverKeyPath))
        {
            var existing = X509Certificate2.CreateFromPemFile(serverPath, serverKeyPath);
            if (existing.NotAfter.ToUniversalTime() > now.UtcDateTime.AddDays(1) && existing.Issuer == ca.Subject)
            {
                server = existing;
            }
        }

        if (server is null)
        {
            server = CreateServer(ca, now);
            Write(serverKeyPath, server.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem(), secret: true);
            Write(serverPath, server.ExportCertificatePem(), secret: false);
        }

        // SslStream on Linux wants the key bound the way a PKCS#12 import binds it.
        var usable = X509CertificateLoader.LoadPkcs12(server.Export(X509ContentType.Pkcs12), null);
        return new ListenerCertificates(caPath, usable);
    }

    private static X509Certificate2 CreateCa(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Clickstream Kafka emulator development CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
    }

    private static X509Certificate2 CreateServer(X509Certificate2 ca, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        var notAfter = now.AddYears(2) < ca.NotAfter ? now.AddYears(2) : new DateTimeOffset(ca.NotAfter.ToUniversalTime());
        using var signed = request.Create(ca, now.AddMinutes(-5), notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    private static void Write(string path, string pem, bool secret)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, pem);
        if (secret && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
