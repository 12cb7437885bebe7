// Imported first by the entry point: settings that must be in place before the AWS SDK loads.
// The SDK's notice about future Node versions is noise in a CLI's output; users can still enable it.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
