using System.Runtime.CompilerServices;
using Bunit;

namespace Course.Web.Tests;

internal static class WaitTimeout
{
    /// <summary>
    /// bUnit gives a render 1 s to satisfy a <c>WaitForAssertion</c>; on a busy 2-core machine a page's background
    /// load takes longer than that. A wait ends as soon as its assertion holds, so the long limit costs a quiet
    /// machine nothing and only turns a hang into a failure.
    /// </summary>
    [ModuleInitializer]
    internal static void Initialize() => BunitContext.DefaultWaitTimeout = TimeSpan.FromMinutes(2);
}
