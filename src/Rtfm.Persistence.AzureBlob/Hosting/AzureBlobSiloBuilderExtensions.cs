// ISiloBuilder forms of the blob grain storage registration.
using Microsoft.Extensions.Options;
using Orleans.Providers;
using Rtfm.Persistence.AzureBlob.Providers;

namespace Rtfm.Persistence.AzureBlob.Hosting;

public static class AzureBlobSiloBuilderExtensions
{
    public static ISiloBuilder AddAzureBlobGrainStorageAsDefault(this ISiloBuilder builder, Action<AzureBlobGrainStorageOptions> configure) =>
        builder.AddAzureBlobGrainStorage(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, configure);

    public static ISiloBuilder AddAzureBlobGrainStorage(this ISiloBuilder builder, string name, Action<AzureBlobGrainStorageOptions> configure)
    {
        builder.Services.AddAzureBlobGrainStorage(name, configure);
        return builder;
    }

    public static ISiloBuilder AddAzureBlobGrainStorage(this ISiloBuilder builder, string name, Action<OptionsBuilder<AzureBlobGrainStorageOptions>>? configure = null)
    {
        builder.Services.AddAzureBlobGrainStorage(name, configure);
        return builder;
    }
}
