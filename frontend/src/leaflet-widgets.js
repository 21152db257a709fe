// The jupyter-leaflet widget classes the apps use (the "jupyter-leaflet" module of the page).
// jupyter-leaflet's own index exports every layer and control, and with them every Leaflet
// plug-in; the apps draw a map with GeoJSON regions, an optional tile layer, widget controls
// and the zoom and attribution controls ipyleaflet adds to every map. A model of any other
// class fails to load with a console error naming it: add its module here.
export * from 'jupyter-leaflet/lib/Map';
export * from 'jupyter-leaflet/lib/layers/Layer';
export * from 'jupyter-leaflet/lib/layers/LayerGroup';
export * from 'jupyter-leaflet/lib/layers/FeatureGroup';
export * from 'jupyter-leaflet/lib/layers/GeoJSON';
export * from 'jupyter-leaflet/lib/layers/RasterLayer';
export * from 'jupyter-leaflet/lib/layers/TileLayer';
export * from 'jupyter-leaflet/lib/controls/Control';
export * from 'jupyter-leaflet/lib/controls/WidgetControl';
export * from 'jupyter-leaflet/lib/controls/ZoomControl';
export * from 'jupyter-leaflet/lib/controls/AttributionControl';
export const version = '0.20.0';
