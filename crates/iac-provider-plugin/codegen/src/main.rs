//! Generates the Rust messages and gRPC clients for the plugin protocol into
//! `../src/proto`. Only clients: iac is always the host, never the plugin.

use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let protoc = protoc_bin_vendored::protoc_bin_path().expect("vendored protoc");
    // prost-build finds protoc through this variable.
    std::env::set_var("PROTOC", protoc);
    let out = root.join("src/proto");
    tonic_prost_build::configure()
        .build_server(false)
        .build_client(true)
        .out_dir(&out)
        .compile_protos(
            &[root.join("proto/tfplugin5.proto"), root.join("proto/tfplugin6.proto"), root.join("proto/plugin_controller.proto")],
            &[root.join("proto")],
        )
        .expect("generating the plugin protocol");
}
