using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;

namespace Course.Web.Features.Security;

/// <summary>
/// The <c>ForwardedHeaders</c> section: the reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>
/// the site believes, in addition to a proxy on the same host (loopback, always trusted). A header from any other
/// address is ignored, so a client cannot claim another address (rate limits count by it) or https.
/// </summary>
public sealed class TrustedProxyOptions
{
    public const string Section = "ForwardedHeaders";

    /// <summary>Proxy addresses, e.g. <c>10.0.0.5</c> or <c>fd00::5</c>.</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks the proxies are in, as address/prefix length with the host bits zero, e.g. <c>10.0.0.0/8</c>.</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>What is wrong with the settings, one line per bad value naming its key; empty when all parse.</summary>
    public IEnumerable<string> Errors() =>
        KnownProxies.Select((value, i) => ParseAddress(value) is null
                ? $"{Section}:{nameof(KnownProxies)}:{i} is '{value}', not an IP address: write one like 10.0.0.5 or fd00::5." : null)
            .Concat(KnownNetworks.Select((value, i) => ParseNetwork(value) is null
                ? $"{Section}:{nameof(KnownNetworks)}:{i} is '{value}', not a network: write an address and a prefix length with the host bits zero, like 10.0.0.0/8." : null))
            .OfType<string>();

    /// <summary>Adds the configured proxies and networks to the middleware's loopback defaults; call once <see cref="Errors"/> is empty.</summary>
    public void ApplyTo(ForwardedHeadersOptions options)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        foreach (var proxy in KnownProxies)
        {
            options.KnownProxies.Add(ParseAddress(proxy)!);
        }
        foreach (var network in KnownNetworks)
        {
            options.KnownIPNetworks.Add(ParseNetwork(network)!.Value);
        }
    }

    /// <summary>
    /// An address written out in full: IPAddress alone also reads "10.0.5" as 10.0.0.5 and "10" as 0.0.0.10, which a
    /// typo should not silently become.
    /// </summary>
    private static IPAddress? ParseAddress(string value) =>
        IPAddress.TryParse(value, out var address) && (address.AddressFamily == AddressFamily.InterNetworkV6 || address.ToString() == value.Trim())
            ? address : null;

    /// <summary>A network whose address has no bits past the prefix: 10.0.0.1/8 is more likely a typo than 10.0.0.0/8.</summary>
    private static System.Net.IPNetwork? ParseNetwork(string value)
    {
        if (value.Split('/') is not [var written, _] || ParseAddress(written) is not { } address
            || !System.Net.IPNetwork.TryParse(value.Trim(), out var network))
        {
            return null;
        }
        var bytes = address.GetAddressBytes();
        for (var bit = network.PrefixLength; bit < bytes.Length * 8; bit++)
        {
            if ((bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                return null;
            }
        }
        return network;
    }

    /// <summary>Fails the site's start with every bad value (ValidateOnStart), before it serves a request.</summary>
    internal sealed class Validation : IValidateOptions<TrustedProxyOptions>
    {
        public ValidateOptionsResult Validate(string? name, TrustedProxyOptions options) =>
            options.Errors().ToList() is { Count: > 0 } errors ? ValidateOptionsResult.Fail(errors) : ValidateOptionsResult.Success;
    }
}
