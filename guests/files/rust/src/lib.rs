//! Test service in Rust: the folders its wos grants it (WASI preopens), through `std::fs`.

wit_bindgen::generate!({
    path: "../wit",
    world: "parigot:files-test/files-service",
});

use exports::parigot::files_test::files::Guest;

struct Files;

fn message(error: std::io::Error) -> String {
    error.to_string()
}

impl Guest for Files {
    fn read(path: String) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(message)
    }

    fn write(path: String, text: String) -> Result<(), String> {
        std::fs::write(path, text).map_err(message)
    }

    fn list(path: String) -> Result<Vec<String>, String> {
        let mut names = std::fs::read_dir(path)
            .map_err(message)?
            .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(message)?;
        names.sort();
        Ok(names)
    }
}

export!(Files);
