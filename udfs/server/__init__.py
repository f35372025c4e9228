"""xlwings Server: the custom_functions and custom_scripts packages and the ribbon of the manifest.

xlwings Server: ``custom_functions`` and ``custom_scripts`` packages that an
xlwings-server app points at, and ``manifest_ribbon.xml`` / ``ribbon.js``, the
ribbon commands of the "B2B" tab for the app's manifest."""
