// How a failed blob call is classified: transient failures (status 0 = no answer, 408, 429,
// 5xx, transport errors, an attempt timeout) are retried and count against the circuit;
// answers about the data (404, 409, 412, other 4xx) are never retried: they are results.
using Azure;
using Azure.Storage.Blobs.Models;
using Polly.Timeout;

namespace Rtfm.Persistence.AzureBlob.Storage;

internal static class BlobFailures
{
    public static bool IsTransient(Exception exception) => exception switch
    {
        RequestFailedException e => e.Status is 0 or 408 or 429 or >= 500,
        TimeoutRejectedException => true,
        HttpRequestException or IOException or System.Net.Sockets.SocketException => true,
        AggregateException e => e.InnerExceptions.Count > 0 && e.InnerExceptions.All(IsTransient),
        _ => false,
    };

    public static bool IsContainerNotFound(RequestFailedException e) =>
        e.Status == 404 && e.ErrorCode == BlobErrorCode.ContainerNotFound.ToString();

    public static bool IsNotFound(RequestFailedException e) => e.Status == 404;

    /// <summary>409 (If-None-Match:* met an existing blob) or 412 (If-Match met another ETag).</summary>
    public static bool IsConditionFailed(RequestFailedException e) => e.Status is 409 or 412;
}
