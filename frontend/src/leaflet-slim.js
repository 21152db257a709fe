// What jupyter-leaflet's own `lib/leaflet.js` gives its modules, without the sixteen Leaflet
// plug-ins (drawing, measuring, velocity, vector tiles, projections...) that no app uses:
// Leaflet itself, and the `refresh` method that TileLayer's redraw calls.
import L from 'leaflet';

L.Layer.include({
  _refreshTileUrl: function (tile, url) {
    const image = new Image();
    image.onload = () => {
      L.Util.requestAnimFrame(() => {
        tile.el.src = url;
      });
    };
    image.src = url;
  },
  refresh: function () {
    const wasAnimated = this._map._fadeAnimated;
    this._map._fadeAnimated = false;
    for (const key in this._tiles) {
      const tile = this._tiles[key];
      if (tile.current && tile.active) {
        const newUrl = this.getTileUrl(tile.coords);
        if (tile.el.src !== newUrl) {
          this._refreshTileUrl(tile, newUrl);
        }
      }
    }
    if (wasAnimated) {
      setTimeout(() => {
        this._map._fadeAnimated = wasAnimated;
      }, 5000);
    }
  },
});

export default L;
