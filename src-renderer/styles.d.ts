/** Stylesheets are side-effect imports the bundler (vite) extracts into the page's CSS file. */
declare module '*.css';
